import Foundation

/// One stratum of samples (the rare events, or the rest) as the interval
/// rule sees it: how many, their mean and spread, and which values the model
/// allows there.
public struct Stratum: Sendable, Equatable {
    public var count: UInt64
    public var mean: Double
    /// Unbiased sample variance (0 for fewer than two samples).
    public var variance: Double
    /// Every sample of the stratum so far had one value (or there was at
    /// most one sample).
    public var singleValue: Bool
    /// The values the model allows in this stratum; nil when none can occur.
    public var possible: ClosedRange<Double>?
    /// The smallest and largest value seen, where known.
    public var observed: ClosedRange<Double>?

    public init(count: UInt64, mean: Double, variance: Double, singleValue: Bool, possible: ClosedRange<Double>?,
                observed: ClosedRange<Double>? = nil) {
        self.count = count
        self.mean = count == 0 ? 0 : mean
        self.variance = count < 2 ? 0 : max(0, variance)
        self.singleValue = singleValue || count < 2
        self.possible = possible
        self.observed = observed
    }

    /// A stratum from its moments and observed range; `possible` is widened
    /// to every value that was observed.
    public init(_ moments: Moments, observed: ObservedRange, possible: ClosedRange<Double>?) {
        var range = possible
        if observed.minimum <= observed.maximum {
            let low = min(range?.lowerBound ?? observed.minimum, observed.minimum)
            let high = max(range?.upperBound ?? observed.maximum, observed.maximum)
            range = low...high
        }
        // One value seen: the mean is that value, not a rounded sum.
        let single = observed.isSingleValue
        self.init(count: moments.count, mean: single && moments.count > 0 ? observed.minimum : moments.mean,
                  variance: single ? 0 : moments.variance, singleValue: single, possible: range,
                  observed: observed.minimum <= observed.maximum ? observed.minimum...observed.maximum : nil)
    }

    /// The samples of the classes `member` selects, from exact class counts.
    public init(_ counts: ClassCounts, values: [Double], possible: [Bool], member: (Int) -> Bool) {
        var members = counts
        var low = Double.infinity, high = -Double.infinity
        var seen = Set<Double>()
        for c in values.indices {
            guard member(c) else { members.counts[c] = 0; continue }
            if possible[c] || counts.counts[c] > 0 {
                low = min(low, values[c])
                high = max(high, values[c])
            }
            if counts.counts[c] > 0 { seen.insert(values[c]) }
        }
        let n = members.total
        let (mean, variance) = n > 0 ? members.moments(values: values) : (0, 0)
        self.init(count: n, mean: seen.count == 1 ? seen.first! : mean, variance: seen.count == 1 ? 0 : variance,
                  singleValue: seen.count <= 1, possible: low <= high ? low...high : nil,
                  observed: seen.isEmpty ? nil : seen.min()!...seen.max()!)
    }

    /// No samples, and none possible.
    public static let impossible = Stratum(count: 0, mean: 0, variance: 0, singleValue: true, possible: nil)
}

extension Estimate {
    /// Below this many rare events their values' spread is not estimated
    /// from the data: the interval takes the worst case for it instead.
    public static let rareEventsForSpread: UInt64 = 10

    /// From this many rare events on, weights of both signs allow for one
    /// more at the extremes seen rather than the extremes possible.
    static let rareEventsForObservedExtremes: UInt64 = 30

    /// Up to this share of the samples, rare events get the gamma form of
    /// a weighted count (with the binomial variance); beyond it the normal
    /// form of the law of total variance.
    static let poissonShare = 0.2

    /// The interval rule every channel uses: the mean of a per-sample value
    /// whose samples split into rare events (a hit T = S, a rewarded
    /// checkpoint, a value near the top of its range) and the rest.
    ///
    /// With k rare events among n samples, rbar their mean and cbar the
    /// others', the sample mean is cbar + (k/n)(rbar - cbar). Its error has
    /// three sources: k ~ Binomial(n, p) for every prior and policy, the
    /// rare values' spread and the other values' spread. Student-t over all
    /// samples treats the first as normal, which fails exactly when rare
    /// events carry the mean: with a handful of hits it is as wide as the
    /// handful says, not as wide as the unseen ones could make it.
    ///
    /// - Rare values that cannot vary (a hit under a uniform prior is worth
    ///   log2 V): the count gets an exact interval [pL, pU] (`interval`,
    ///   Blaker by default), which moves the mean by (pU - k/n)(rbar - cbar)
    ///   up and (k/n - pL)(rbar - cbar) down; at k = 0 the upper end is
    ///   still pU > 0. Affine in one count, this is the count interval.
    /// - Rare values that vary, at most 20% of the samples (Poisson counts):
    ///   the rare events' excess over cbar is a weighted sum of Poisson
    ///   counts, for which Fay and Feuer's gamma interval (Stat. Med. 16,
    ///   1997) matches the mean and variance and adds, to the end the
    ///   unseen events would move, one more event at the most extreme
    ///   possible weight; weights of both signs get the normal form with
    ///   that extra event on each side (from 30 rare events on, at the
    ///   extremes seen). This is what keeps the coverage when
    ///   the rare values seen so far are not those that carry the mean.
    /// - Too few rare events to trust a spread (fewer than
    ///   `rareEventsForSpread` with weights of both signs): the count at
    ///   1 - alpha/2, the rare mean Hoeffding's interval at 1 - alpha/2 cut
    ///   to its possible range, and the extremes of (1 - p) c + p r over that
    ///   box.
    /// - Many rare events (over 20%): the normal interval of the law of
    ///   total variance, with the count's exact interval for its part.
    /// - The others' mean adds its Student-t half-width times (1 - k/n) in
    ///   quadrature. A stratum whose samples all had one value although
    ///   others are possible reaches toward them by the Clopper-Pearson bound
    ///   1 - (alpha/2)^(1/count) on their share (as `unseen-classes`).
    ///
    /// Fewer than `rareEventsForSpread` rare events whose values can vary
    /// give method `rare-events-conservative` and a note saying so: valid,
    /// wider than it will be, never narrow and wrong. The interval never
    /// leaves the range of possible values. The standard error reported is
    /// the plug-in one, and 0 before the first rare event when rare values
    /// are possible (z is then undefined).
    ///
    /// - Parameters:
    ///   - mean: the point estimate when the caller has it exactly (class
    ///     counts); otherwise the strata's weighted mean.
    ///   - rareEvents: what the rare events are, for the notes.
    public static func rareEventMean(
        rare: Stratum, common: Stratum, mean: Double? = nil, level: Double,
        interval: BinomialInterval = .blaker, rareEvents: String = "rare events"
    ) throws -> Estimate {
        let k = rare.count, m = common.count, n = k + m
        guard n >= 1 else {
            throw RewardBitsError.invalidInput("a confidence interval needs at least 1 sample (got 0)")
        }
        let nd = Double(n)
        let value = mean ?? (Double(k) * rare.mean + Double(m) * common.mean) / nd
        let tail = (1 - level) / 2
        var notes: [String] = []

        /// Half-widths (down, up) of a stratum's mean.
        func halfWidths(_ s: Stratum) throws -> (Double, Double) {
            guard s.count > 0 else { return (0, 0) }
            if s.singleValue {
                guard let range = s.possible else { return (0, 0) }
                let unseen = unseenShare(samples: s.count, level: level)
                return (unseen * max(0, s.mean - range.lowerBound), unseen * max(0, range.upperBound - s.mean))
            }
            let t = try GSL.studentTQuantile(1 - tail, degreesOfFreedom: Double(s.count - 1))
            let half = t * (s.variance / Double(s.count)).squareRoot()
            let range = s.possible ?? -Double.infinity...Double.infinity
            return (max(0, min(half, s.mean - range.lowerBound)), max(0, min(half, range.upperBound - s.mean)))
        }
        func finish(low: Double, high: Double, se: Double, method: IntervalMethod) -> Estimate {
            let ranges = [rare.possible, common.possible].compactMap { $0 }
            var low = low, high = high
            if let floor = ranges.map(\.lowerBound).min(), let ceiling = ranges.map(\.upperBound).max() {
                low = max(low, min(floor, value))
                high = min(high, max(ceiling, value))
            }
            let rareEvents: UInt64? = rare.possible == nil && k == 0 ? nil : k
            if low == value && high == value {
                return Estimate(value: value, standardError: 0, low: value, high: value, level: level,
                                method: .zeroVariance, samples: n, notes: notes, rareEvents: rareEvents)
            }
            return Estimate(value: value, standardError: se, low: low, high: high, level: level, method: method,
                            samples: n, notes: notes, rareEvents: rareEvents)
        }

        // One stratum only: Student-t, or the reach toward unseen values.
        if (k == 0 && rare.possible == nil) || (m == 0 && common.possible == nil) {
            let s = k == 0 ? common : rare
            let (down, up) = try halfWidths(s)
            let se = s.singleValue ? 0 : (s.variance / nd).squareRoot()
            return finish(low: value - down, high: value + up, se: se, method: s.singleValue ? .unseenClasses : .studentT)
        }

        let pHat = Double(k) / nd
        let (rareDown, rareUp) = try halfWidths(rare)
        let (commonDown, commonUp) = try halfWidths(common)
        let rareCanVary = rare.possible.map { $0.lowerBound < $0.upperBound } ?? false
        let gap = k > 0 && m > 0 ? rare.mean - common.mean : 0
        let within = (Double(k) * rare.variance + Double(m) * common.variance) / nd
        // Before the first rare event the plug-in error says nothing about
        // them: report 0 (z undefined); the interval carries the uncertainty.
        let se = k == 0 && rare.possible != nil ? 0 : ((pHat * (1 - pHat) * gap * gap + within) / nd).squareRoot()

        func countInterval(level: Double) throws -> (Double, Double) {
            let (bounds, method) = try proportionInterval(successes: k, trials: n, level: level, interval: interval)
            if method != interval.method {
                notes.append("the \(interval.method.rawValue) interval on the count of \(rareEvents) could not be evaluated (k = \(k), n = \(n)); used \(method.rawValue)")
            }
            return bounds
        }

        // Rare events that are rare (Poisson counts) with values that vary:
        // Fay and Feuer's gamma interval for a weighted sum of Poisson
        // counts, the weights being the rare values' excess over the others'
        // mean. Its upper end adds one more event at the largest possible
        // weight, which keeps the coverage when the rare values seen so far
        // are not the ones that carry the mean.
        if rareCanVary && k > 0 && m > 0 && pHat <= poissonShare {
            let range = rare.possible!
            // The excess y = sum of w_i over the rare events, and the variance
            // of that sum when each sample is a rare event by a Bernoulli
            // draw: sum w^2 - y^2 / n (Poisson's sum w^2 less the binomial's
            // share).
            let y = Double(k) * gap
            let v = max(0, Double(k - 1) * rare.variance + Double(k) * gap * gap - y * y / nd)
            let heavier = max(0, range.upperBound - common.mean), lighter = max(0, common.mean - range.lowerBound)
            /// The ends of the rare events' excess, with the extra events
            /// weighing `up` and `down` (0: without them, for comparison).
            func ends(up: Double, down: Double) throws -> (Double, Double)? {
                if lighter == 0 || heavier == 0 {
                    // Every weight on one side of 0: the gamma form, mirrored below 0.
                    let sign = lighter == 0 ? 1.0 : -1.0
                    let (a, w) = (sign * y, lighter == 0 ? up : down)
                    let lowerEnd = a > 0 && v > 0 ? try GSL.gammaQuantile(tail, shape: a * a / v, scale: v / a) : 0
                    let upperEnd = a + w > 0 && v + w * w > 0
                        ? try GSL.gammaQuantile(1 - tail, shape: (a + w) * (a + w) / (v + w * w), scale: (v + w * w) / (a + w)) : 0
                    return sign > 0 ? (lowerEnd, upperEnd) : (-upperEnd, -lowerEnd)
                }
                guard k >= rareEventsForSpread else { return nil }
                // Weights of both signs: the normal form with one more event
                // at each extreme. The possible extremes of a noisy value
                // can lie far beyond any that occur (f flips bound a prompt
                // by f log2 rho); from 30 rare events on, the extra events
                // sit at the extremes seen, as in Tiwari, Clegg and Zou's
                // variant of the gamma interval (Stat. Methods Med. Res. 15,
                // 2006).
                var (up, down) = (up, down)
                if k >= rareEventsForObservedExtremes, let seen = rare.observed {
                    up = min(up, max(0, seen.upperBound - common.mean))
                    down = min(down, max(0, common.mean - seen.lowerBound))
                }
                let z = try GSL.normalQuantile(1 - tail)
                return (y - down - z * (v + down * down).squareRoot(), y + up + z * (v + up * up).squareRoot())
            }
            if let (yLow, yHigh) = try ends(up: heavier, down: lighter) {
                let commonScale = Double(m) / nd
                func halfWidths(_ yLow: Double, _ yHigh: Double) -> (Double, Double) {
                    ((pow((y - yLow) / nd, 2) + pow(commonScale * commonDown, 2)).squareRoot(),
                     (pow((yHigh - y) / nd, 2) + pow(commonScale * commonUp, 2)).squareRoot())
                }
                let (down, up) = halfWidths(yLow, yHigh)
                if k < rareEventsForSpread {
                    notes.append("only \(k) \(rareEvents) in \(n) samples: the interval allows for one more at the most extreme value possible (conservative); more samples will narrow it")
                    return finish(low: value - down, high: value + up, se: se, method: .rareEventsConservative)
                }
                // Say so where the allowance for one more extreme event is
                // a large part of the width: the interval is then wider than
                // the data alone would make it.
                if let (bareLow, bareHigh) = try ends(up: 0, down: 0) {
                    let (bareDown, bareUp) = halfWidths(bareLow, bareHigh)
                    let widening = (down + up) / max(bareDown + bareUp, .leastNormalMagnitude)
                    if widening > 1.25 {
                        notes.append(String(format: "the interval allows for one more of the %llu %@ at the most extreme value possible, which widens it %.0f%% (conservative); more samples will narrow it", k, rareEvents, (widening - 1) * 100))
                        return finish(low: value - down, high: value + up, se: se, method: .rareEventsConservative)
                    }
                }
                return finish(low: value - down, high: value + up, se: se, method: .rareEventStratified)
            }
        }

        if rareCanVary && k < rareEventsForSpread && m > 0 {
            // Too few rare events to estimate their spread: the worst case
            // over the box of (p, r, c), p and r each at 1 - alpha/2 (with no
            // rare event r spans its whole range and p keeps the level).
            let (pLow, pHigh) = try countInterval(level: k == 0 ? level : 1 - (1 - level) / 2)
            let range = rare.possible!
            var rLow = range.lowerBound, rHigh = range.upperBound
            if k > 0 {
                let hoeffding = (range.upperBound - range.lowerBound) * (log(4 / (1 - level)) / (2 * Double(k))).squareRoot()
                rLow = max(rLow, rare.mean - hoeffding)
                rHigh = min(rHigh, rare.mean + hoeffding)
            }
            let cLow = common.mean - commonDown, cHigh = common.mean + commonUp
            let low = min((1 - pLow) * cLow + pLow * rLow, (1 - pHigh) * cLow + pHigh * rLow)
            let high = max((1 - pLow) * cHigh + pLow * rHigh, (1 - pHigh) * cHigh + pHigh * rHigh)
            notes.append(k == 0
                ? "no \(rareEvents) in \(n) samples yet: the interval reaches toward the largest value one could carry (conservative); more samples will narrow it"
                : "only \(k) \(rareEvents) in \(n) samples, too few to estimate their spread: the interval takes the worst case for it (conservative); more samples will narrow it")
            return finish(low: min(low, value), high: max(high, value), se: se, method: .rareEventsConservative)
        }

        let (pLow, pHigh) = try countInterval(level: level)
        var countDown = 0.0, countUp = 0.0
        if k == 0 {
            if let range = rare.possible {
                countUp = pHigh * max(0, range.upperBound - common.mean)
                countDown = pHigh * max(0, common.mean - range.lowerBound)
            }
        } else if m == 0 {
            // Every sample a rare event: the others are the unseen side.
            if let range = common.possible {
                countUp = (1 - pLow) * max(0, range.upperBound - rare.mean)
                countDown = (1 - pLow) * max(0, rare.mean - range.lowerBound)
            }
        } else {
            countUp = gap >= 0 ? (pHigh - pHat) * gap : (pHat - pLow) * -gap
            countDown = gap >= 0 ? (pHat - pLow) * gap : (pHigh - pHat) * -gap
        }
        let rareScale = pHat, commonScale = Double(m) / nd
        let down = (countDown * countDown + pow(rareScale * rareDown, 2) + pow(commonScale * commonDown, 2)).squareRoot()
        let up = (countUp * countUp + pow(rareScale * rareUp, 2) + pow(commonScale * commonUp, 2)).squareRoot()
        return finish(low: value - down, high: value + up, se: se, method: .rareEventStratified)
    }

    /// `rareEventMean` over exact class counts: class c has value values[c],
    /// can occur when possible[c], and is a rare event when rare[c].
    public static func rareEventMean(
        _ counts: ClassCounts, values: [Double], possible: [Bool], rare: [Bool], level: Double,
        interval: BinomialInterval = .blaker, rareEvents: String = "rare events"
    ) throws -> Estimate {
        precondition(values.count == counts.counts.count && possible.count == values.count && rare.count == values.count)
        let rareStratum = Stratum(counts, values: values, possible: possible) { rare[$0] }
        let common = Stratum(counts, values: values, possible: possible) { !rare[$0] }
        let observed = counts.counts.indices.filter { counts.counts[$0] > 0 }
        let mean = Set(observed.map { values[$0] }).count == 1 ? values[observed[0]] : counts.moments(values: values).mean
        return try rareEventMean(rare: rareStratum, common: common, mean: mean, level: level, interval: interval,
                                 rareEvents: rareEvents)
    }
}

extension Estimate.BinomialInterval {
    /// The method an interval of this kind reports when it can be evaluated.
    var method: IntervalMethod {
        switch self {
        case .wilson: return .wilson
        case .clopperPearson: return .clopperPearson
        case .blaker: return .blaker
        case .randomized: return .randomizedClopperPearson
        }
    }
}
