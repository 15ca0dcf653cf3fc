import Foundation

/// Everything one estimate run reports: the estimate and its interval, the
/// exact value and bounds beside it, and what the run cost.
public struct ChannelResult: Sendable {
    public var channel: String
    /// Every option with its default filled in, in display order.
    public var parameters: [(String, JSONValue)]
    public var estimator: String
    public var estimate: Estimate
    public var exact: Double?
    /// Named upper bounds (and related reference numbers) in bits.
    public var bounds: [(String, Double)]
    /// Reference quantities that are themselves estimated, with their CI
    /// (e.g. the mean of log2(M + 1) for a group).
    public var boundEstimates: [(String, Estimate)]
    /// Exact values of the reference quantities, where known.
    public var boundExacts: [(String, Double)]
    public var rollouts: UInt64
    public var warnings: [String]
    public var seconds: Double
    public var cpuSeconds: Double
    /// The unit the channel's throughput is counted in and how many were done.
    public var throughputUnit: String
    public var throughputUnits: Double
    public var settings: RunSettings
    /// True when --target-halfwidth ended the run before its sample cap.
    public var stoppedEarly: Bool = false
    /// The distribution of per-sample values (--histogram).
    public var histogram: SurpriseHistogram?
    /// With --target-halfwidth: whether the stop rule was met (false when the
    /// sample cap came first).
    public var targetReached: Bool?
    /// Informations reported beside the estimate, each with its interval and
    /// exact value (the gradient channel's `components`).
    public var components: [NamedEstimate] = []
    /// One estimate per step (a learner's I(S; H_t)).
    public var curve: [CurvePoint] = []
    /// Further quantities with intervals, each a top-level JSON object
    /// (`kept`, `efficiency`).
    public var namedEstimates: [NamedEstimate] = []

    /// The channel's warnings, the interval's notes and the generator's
    /// known quality problems.
    public var allWarnings: [String] { warnings + estimate.notes + settings.generator.qualityWarnings }

    /// z = (estimate - exact) / se. Nil for the plug-in estimator, whose
    /// target is E[plug-in], not the exact information.
    public var z: Double? { estimator == EstimatorKind.plugin.rawValue ? nil : estimate.z(against: exact) }

    public var rolloutsPerSecond: Double { seconds > 0 ? Double(rollouts) / seconds : 0 }
    public var unitsPerSecond: Double { seconds > 0 ? throughputUnits / seconds : 0 }
    public var unitsPerCPUSecond: Double { cpuSeconds > 0 ? throughputUnits / cpuSeconds : 0 }
}

/// An estimated quantity with its exact value where known.
public struct NamedEstimate: Sendable {
    public var name: String
    public var estimate: Estimate
    public var exact: Double?
    public init(_ name: String, _ estimate: Estimate, exact: Double?) {
        self.name = name
        self.estimate = estimate
        self.exact = exact
    }
}

/// One point of a curve: the step, its estimate and exact value, and other
/// per-step numbers (bits per rollout, hit rate).
public struct CurvePoint: Sendable {
    public var step: Int
    public var estimate: Estimate
    public var exact: Double?
    public var extras: [(String, JSONValue)]
    public init(step: Int, estimate: Estimate, exact: Double?, extras: [(String, JSONValue)] = []) {
        self.step = step
        self.estimate = estimate
        self.exact = exact
        self.extras = extras
    }
}

/// Which estimator a channel uses.
public enum EstimatorKind: String, Sendable, CaseIterable {
    /// Sample mean of log2 P(obs | S) - log2 P(obs).
    case pointwise
    /// Rao-Blackwellised: the pointwise information averaged over S given the
    /// S-independent part of the observation.
    case rb
    /// Ratio of means (sft filtered: bits per sampled rollout).
    case ratio
    /// Model-free: H^(S) + H^(O) - H^(S, O) from the counts of (S, O),
    /// Miller-Madow corrected. Its target is E[plug-in], not I.
    case plugin
}

extension ChannelResult {
    /// The result with its interval cut to [0, bound]: a mutual information
    /// is never negative nor above its bound (1 bit, log2(K + 1), T, H(S)),
    /// so neither is the range of values a reader should consider. The point
    /// estimate is left alone (it is unbiased, and may fall outside) with a
    /// warning when it does; an interval wholly below 0 becomes [0, 0]. Only
    /// for estimates of an information: the plug-in's target E[plug-in] can
    /// lie outside, and differences of informations are not clipped. The
    /// stop rule reads the unclipped interval.
    public func clippedToInformationRange(upTo exactBound: Double) -> ChannelResult {
        // The bound and the exact value are sums over a normalised table
        // whose rounding (1 - q for q near 1 keeps only ~1e-7 of its
        // relative precision at q = 1 - 2^-30) can put a bound the exact
        // value meets (S fully recovered) a hair below it.
        let bound = exactBound * (1 + 1e-6)
        guard estimator != EstimatorKind.plugin.rawValue else {
            var result = self
            if estimate.value > bound {
                result.warnings.append(String(format:
                    "the plug-in estimate %.6g exceeds the channel's bound %.6g: it is biased upward with few samples per cell",
                    estimate.value, bound))
            }
            return result
        }
        var result = self
        let e = estimate
        if e.value < 0 || e.value > bound {
            result.warnings.append(String(format:
                "the estimate %.6g lies outside [0, %.6g], where the information must lie; it is unbiased, so it can, and is reported as it is",
                e.value, bound))
        }
        if e.high < 0 {
            result.warnings.append(String(format:
                "the whole interval [%.6g, %.6g] lies below 0, where no information can: reported as [0, 0]; more samples will narrow it",
                e.low, e.high))
            result.estimate.low = 0
            result.estimate.high = 0
        } else if e.low > bound {
            result.warnings.append(String(format:
                "the whole interval [%.6g, %.6g] lies above the bound %.6g: reported as [%.6g, %.6g]", e.low, e.high, bound, bound, bound))
            result.estimate.low = bound
            result.estimate.high = bound
        } else {
            result.estimate.low = max(e.low, 0)
            result.estimate.high = min(e.high, bound)
        }
        return result
    }

    /// What every channel does to its result last: the interval cut to
    /// [0, bound], a warning when the sample cap came before the target
    /// half-width, and the heavy-tail diagnostic (`largestShare`: the
    /// largest sample's share of the squared distances from the mean).
    func finished(bound: Double, largestShare: Double?) -> ChannelResult {
        var result = clippedToInformationRange(upTo: bound)
        if let stopping = settings.stopping, targetReached == false {
            result.warnings.append(String(format:
                "the sample cap (%llu samples) came before --target-halfwidth %g: the half-width is %.3g%@; raise --max-samples (or the sample count) to reach it",
                estimate.samples, stopping.targetHalfWidth, estimate.halfWidth,
                estimate.halfWidth <= stopping.targetHalfWidth
                    ? " but the interval still rests on fewer rare events than the stop rule asks for" : ""))
        }
        if let share = largestShare, let warning = Self.heavyTailWarning(share: share, samples: estimate.samples) {
            result.warnings.append(warning)
        }
        return result
    }

    /// A warning when one sample carries a large share of the spread: the
    /// largest squared distance from the mean over the sum of them all (near
    /// 1/n for well-behaved values; the threshold leaves room for the
    /// largest of n light-tailed values). Pointwise values can be negative, so
    /// squares, not values.
    static func heavyTailWarning(share: Double, samples: UInt64) -> String? {
        // Normal values put about 2 ln(n) / n of the sum on the largest,
        // exponential ones about ln(n)^2 / (2 n).
        let n = Double(samples)
        guard samples > 1, share > max(0.01, 2 * log(n) * log(n) / n) else { return nil }
        return String(format:
            "heavy tail: one of %llu samples carries %.1f%% of their spread about the mean; the interval rests on the few samples far out (see the rare-event counts and notes)",
            samples, share * 100)
    }
}

extension ClassCounts {
    /// The largest squared distance of one sample from the mean as a share
    /// of the sum of all of them (see `StratifiedMoments`).
    public func largestShareOfSquares(values: [Double]) -> Double {
        guard total > 1 else { return 0 }
        let (mean, variance) = moments(values: values)
        let sum = variance * Double(total - 1)
        guard sum > 0 else { return 0 }
        var largest = 0.0
        for (c, n) in counts.enumerated() where n > 0 { largest = max(largest, (values[c] - mean) * (values[c] - mean)) }
        return min(1, largest / sum)
    }
}
