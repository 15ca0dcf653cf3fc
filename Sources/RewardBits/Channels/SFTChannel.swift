import Foundation

/// `sft`: what a positive example tells about S.
///
/// `expert`: the good set A(S) is the cyclic interval of alpha V symbols
/// starting at S, and the positive is tau ~ Uniform(A(S)); I(tau; S) =
/// H(tau) - log2(alpha V), which is log2(1/alpha) for a uniform prior.
///
/// `filtered`: rollouts T ~ pi are drawn until T == S; the positive costs L
/// rollouts and reveals S. Bits per sampled rollout = H(q) / E[L] with
/// E[L] = sum_s q(s) / pi(s) (log2(V) / V when both are uniform).
public struct SFTChannel: Channel {
    public enum Mode: String, Sendable, CaseIterable {
        case filtered, expert
    }

    public let vocabularySize: UInt64
    public let positives: UInt64
    public let mode: Mode
    /// Good-set fraction (expert mode); alpha V is a positive integer.
    public let alpha: Double
    public let goodSetSize: UInt64
    public let prior: SymbolDistribution
    public let policy: SymbolDistribution
    /// The exact value, computed once for runs that repeat a spec (the
    /// coverage study) instead of at every run.
    var precomputedExact: Double?

    /// Runs whose expected number of rollouts exceeds this are refused.
    public static let maximumExpectedRollouts = 1e15

    public init(vocabularySize: UInt64, positives: UInt64, mode: Mode = .filtered, alpha: Double? = nil,
                prior: DistributionSpec = .uniform, policy: DistributionSpec = .uniform) throws {
        try Validate.vocabulary(vocabularySize)
        try Validate.count(positives, .positives, minimum: 2)
        self.vocabularySize = vocabularySize
        self.positives = positives
        self.mode = mode
        if mode == .filtered, alpha != nil {
            throw RewardBitsError.invalidInput(
                "\(Parameter.alpha) applies to \(Parameter.mode) expert only (filtered SFT keeps the rollout that equals S)")
        }
        let alpha = alpha ?? 1 / Double(vocabularySize)
        guard alpha.isFinite, alpha > 0, alpha <= 1 else {
            throw RewardBitsError.invalidInput("\(Parameter.alpha) must be in (0, 1] (got \(alpha))")
        }
        let size = alpha * Double(vocabularySize)
        let rounded = size.rounded()
        guard rounded >= 1, abs(size - rounded) <= 1e-9 * max(1, rounded) else {
            throw RewardBitsError.invalidInput(
                "\(Parameter.alpha) times \(Parameter.vocabulary) must be a positive integer, the size of the good set (got \(alpha) x \(vocabularySize) = \(size))")
        }
        self.alpha = alpha
        goodSetSize = UInt64(rounded)
        self.prior = try SymbolDistribution(prior, vocabularySize: vocabularySize, option: .prior)
        self.policy = try SymbolDistribution(policy, vocabularySize: vocabularySize, option: .policy)
        if mode == .filtered {
            if let s = unreachableSymbol() {
                throw RewardBitsError.invalidInput(
                    "filtered SFT never ends: the prior gives symbol \(s) mass \(self.prior.probability(s)) but the policy never draws it; give every prior symbol policy mass > 0")
            }
            let perPositive = expectedRolloutsPerPositive()
            guard perPositive.isFinite else {
                throw RewardBitsError.invalidInput(
                    "filtered SFT would need more than 1e308 rollouts per positive (E[L] overflows): the policy gives some prior symbol a mass too small to reach; give every prior symbol more policy mass")
            }
            let expected = Double(positives) * perPositive
            guard expected <= Self.maximumExpectedRollouts else {
                throw RewardBitsError.invalidInput(
                    "this run would draw about \(Format.compact(expected)) rollouts (E[L] = \(Format.compact(perPositive)) per positive); lower \(Parameter.positives) or make the policy cover the prior better")
            }
        }
    }

    func unreachableSymbol() -> Int? {
        guard !prior.isUniform || !policy.isUniform else { return nil }
        for s in 0..<Int(vocabularySize) where prior.probability(s) > 0 && policy.probability(s) == 0 {
            return s
        }
        return nil
    }

    /// E[L] = sum_s q(s) / pi(s).
    public func expectedRolloutsPerPositive() -> Double {
        if policy.isUniform { return Double(vocabularySize) }
        var total = CompensatedSum()
        for s in 0..<Int(vocabularySize) where prior.probability(s) > 0 {
            total.add(prior.probability(s) / policy.probability(s))
        }
        return total.value
    }

    /// P(tau = t) = (1 / (alpha V)) sum_{j < alpha V} q(t - j mod V): a sliding
    /// window over the prior (expert mode).
    func positiveDistribution() -> [Double] {
        let v = Int(vocabularySize)
        let width = Int(goodSetSize)
        var result = [Double](repeating: 0, count: v)
        // Recompute the window sum exactly every 4096 steps to stop drift.
        var window = 0.0
        for t in 0..<v {
            if t % 4096 == 0 {
                var fresh = CompensatedSum()
                for j in 0..<width { fresh.add(prior.probability(((t - j) % v + v) % v)) }
                window = fresh.value
            } else {
                window += prior.probability(t) - prior.probability(((t - width) % v + v) % v)
            }
            result[t] = max(window, 0) / Double(width)
        }
        return result
    }

    public func exactValue() -> Double {
        switch mode {
        case .expert:
            if prior.isUniform { return log2(1 / alpha) }
            return Information.entropy(positiveDistribution()) - log2(Double(goodSetSize))
        case .filtered:
            return prior.entropy / expectedRolloutsPerPositive()
        }
    }

    public var bounds: [(String, Double)] {
        switch mode {
        case .expert:
            return [("log2_1_over_alpha", log2(1 / alpha)), ("prior_entropy", prior.entropy)]
        case .filtered:
            return [("one_bit", 1), ("prior_entropy_per_positive", prior.entropy),
                    ("expected_rollouts_per_positive", expectedRolloutsPerPositive())]
        }
    }

    public var defaultBlockSize: UInt64 {
        switch mode {
        case .expert: return 1 << 20
        case .filtered: return BlockPlan.powerOfTwoBlockSize(target: Double(1 << 20) / expectedRolloutsPerPositive())
        }
    }

    public func parameters(blockSize: UInt64) -> [(String, JSONValue)] {
        var p: [(String, JSONValue)] = [
            ("vocab", .unsigned(vocabularySize)), ("positives", .unsigned(positives)), ("mode", .string(mode.rawValue)),
        ]
        if mode == .expert { p.append(("alpha", .number(alpha))) }
        p += [("prior", .string(prior.spec.description)), ("policy", .string(policy.spec.description)),
              ("estimator", .string(mode == .expert ? "pointwise" : "ratio")),
              ("block_size", .unsigned(blockSize)), ("stream_format", .integer(Int64(StreamFormat.version)))]
        return p
    }

    /// This channel with its exact value computed now, for many runs.
    public func precomputingExact() -> Self {
        var copy = self
        copy.precomputedExact = exactValue()
        return copy
    }

    public func run(settings: RunSettings) throws -> ChannelResult {
        let blockSize = settings.blockSize ?? defaultBlockSize
        let parameters = parameters(blockSize: blockSize) + ChannelRun.runParameters(settings)
        let runner = ChannelRun(channel: Self.name, parameters: parameters, settings: settings)
        let kernels = settings.kernels(as: (any SFTKernelFactory.Type).self)
        let exact = precomputedExact ?? exactValue()
        let level = settings.confidence
        let binWidth = settings.histogramBinWidth
        let priorSampler = try prior.makeSampler()
        switch mode {
        case .expert:
            let table = prior.isUniform ? [] : positiveDistribution().map { $0 > 0 ? -log2($0) : 0 }
            let offset = -log2(Double(goodSetSize))
            let uniformPrior = prior.isUniform
            let estimate: @Sendable (StratifiedMoments) throws -> Estimate = { m in
                if uniformPrior {
                    // Every positive carries exactly log2(1/alpha) bits.
                    return Estimate(value: exact, standardError: 0, low: exact, high: exact,
                                    level: level, method: .zeroVariance, samples: m.count)
                }
                // An entropy's sample mean: no rare events carry it.
                return try Estimate.rareEventMean(
                    rare: .impossible, common: Stratum(m.common, observed: m.commonRange, possible: nil), level: level)
            }
            let outcome = try runner.execute(
                kernels.sftExpert(prior: priorSampler, vocabularySize: vocabularySize, goodSetSize: goodSetSize,
                                           surprise: table, offset: offset, center: exact, binWidth: binWidth),
                totalSamples: positives, blockSize: blockSize, estimate: estimate, unitName: "positives")
            let measured = Measurement(outcome, estimate: try estimate(outcome.statistics),
                                       histogram: outcome.statistics.histogram,
                                       largestShare: outcome.statistics.largestShareOfSquares)
            return ChannelResult(
                channel: "sft", parameters: parameters, estimator: "pointwise",
                estimate: measured.estimate, exact: exact, bounds: bounds, boundEstimates: [], boundExacts: [],
                rollouts: 0, warnings: [], seconds: measured.seconds, cpuSeconds: measured.cpuSeconds,
                throughputUnit: "positives", throughputUnits: Double(measured.samples), settings: settings,
                stoppedEarly: measured.stoppedEarly, histogram: measured.histogram, targetReached: measured.targetReached)
                .finished(bound: min(log2(1 / alpha), prior.entropy), largestShare: measured.largestShare)
        case .filtered:
            let surprise = prior.isUniform ? [] : prior.probabilities!.map { $0 > 0 ? -log2($0) : 0 }
            let constant = prior.isUniform ? log2(Double(vocabularySize)) : 0
            let policySampler = try policy.makeSampler()
            // The bits of a positive and the largest expected search over
            // the answers the prior allows, for the interval's extreme events.
            let informationRange = prior.isUniform ? constant...constant
                : surprise.indices.filter { prior.probability($0) > 0 }.map { surprise[$0] }.min()!
                    ... surprise.indices.filter { prior.probability($0) > 0 }.map { surprise[$0] }.max()!
            let hardestSearch = policy.isUniform ? Double(vocabularySize)
                : 1 / (0..<Int(vocabularySize)).filter { prior.probability($0) > 0 }.map(policy.probability).min()!
            let estimate: @Sendable (RatioMoments) throws -> Estimate = {
                try $0.ratioEstimate(level: level, bitsRange: informationRange, hardestSearch: hardestSearch)
            }
            let units = expectedRolloutsPerPositive()
            let outcome = try runner.execute(
                kernels.sftFiltered(prior: priorSampler, policy: policySampler, surprise: surprise, constant: constant,
                                             binWidth: binWidth),
                totalSamples: positives, blockSize: blockSize, estimate: estimate, unitsPerSample: units)
            let ratio = outcome.statistics
            let measured = Measurement(outcome, estimate: try estimate(ratio),
                                       histogram: ratio.bins.map { .bins(width: $0.width, rows: $0.rows.map { (low: $0.0, high: $0.1, count: $0.2) }) })
            var warnings: [String] = []
            // The largest of n geometric searches takes about ln(n)/n of them
            // all (twice that one time in 500); more is a heavy tail.
            let share = Double(ratio.maximumRollouts) / Double(max(ratio.rollouts, 1))
            let positivesSeen = Double(max(ratio.count, 2))
            if share > max(0.01, 2 * log(positivesSeen) / positivesSeen) {
                warnings.append(String(format:
                    "heavy tail: one positive took %.1f%% of all %llu rollouts (the policy rarely reaches some likely answers); the interval rests on the few long searches seen",
                    share * 100, ratio.rollouts))
            }
            return ChannelResult(
                channel: "sft", parameters: parameters, estimator: "ratio",
                estimate: measured.estimate, exact: exact, bounds: bounds, boundEstimates: [], boundExacts: [],
                rollouts: measured.rollouts, warnings: warnings, seconds: measured.seconds, cpuSeconds: measured.cpuSeconds,
                throughputUnit: "rollouts", throughputUnits: Double(measured.rollouts), settings: settings,
                stoppedEarly: measured.stoppedEarly, histogram: measured.histogram, targetReached: measured.targetReached)
                .finished(bound: 1, largestShare: nil)
        }
    }
}

extension SFTChannel {
    public static let name = "sft"
    public static let sampleName = "positives"
    public var sampleCount: UInt64 { positives }
    public func exactInformation() -> Double? { precomputedExact ?? exactValue() }

    public static let workloads: [Workload] = [
        Workload(name: "sft", command: "estimate sft --mode filtered --vocab 1024 --positives 1e7",
                 unit: "rollouts", cReferencePerCore: 2.4e9, numpyPerCore: 3.7e8) { scale in
            let channel = try SFTChannel(vocabularySize: 1024, positives: Workload.scaled(1e7, scale), mode: .filtered)
            return { try channel.run(settings: $0) }
        },
    ]
}
