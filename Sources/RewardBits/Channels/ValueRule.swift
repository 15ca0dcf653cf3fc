import Foundation

/// How the interval rule treats one per-sample value of a channel that
/// reports several (the gradient channel's components, a learner's curve):
/// the values the model allows and the split into rare events, both fixed
/// by the model, never by the data.
struct ValueRule: Sendable {
    var possible: ClosedRange<Double>
    /// Values at or above `rareAbove`, or at or below `rareBelow`, are rare.
    var rareAbove: Double
    var rareBelow: Double
    var rareEvents: String
    /// Whether the model bounds the values below only loosely (a policy's
    /// log-mass at S): the lowest possible value is then the lowest seen.
    var openBelow = false

    /// Values in [low, high] with rare events at the top 63/64 (and, where
    /// `bothSigns`, also at the bottom): a value near 0 is common.
    init(_ range: ClosedRange<Double>, bothSigns: Bool = false, unit: String) {
        let top = max(abs(range.lowerBound), abs(range.upperBound))
        let threshold = top * RareValues.fraction
        possible = range
        rareAbove = threshold
        rareBelow = bothSigns ? -threshold : -Double.infinity
        rareEvents = bothSigns
            ? "\(unit) worth more than \(String(format: "%.3g", threshold)) bits or less than \(String(format: "%.3g", -threshold)) (1/64 of the range)"
            : RareValues.description(threshold, unit: unit)
    }

    func estimate(_ m: StratifiedMoments, level: Double, interval: Estimate.BinomialInterval) throws -> Estimate {
        var possible = self.possible
        if openBelow {
            let seen = min(m.rareRange.minimum, m.commonRange.minimum, possible.upperBound)
            possible = seen...possible.upperBound
        }
        let common = max(possible.lowerBound, min(rareBelow, possible.upperBound))...max(possible.lowerBound, min(rareAbove, possible.upperBound))
        return try Estimate.rareEventMean(
            rare: Stratum(m.rare, observed: m.rareRange, possible: possible),
            common: Stratum(m.common, observed: m.commonRange, possible: common),
            level: level, interval: interval, rareEvents: rareEvents)
    }

    /// The estimate of an information, its interval cut to [0, bound].
    func information(_ m: StratifiedMoments, bound: Double, level: Double,
                     interval: Estimate.BinomialInterval) throws -> Estimate {
        var e = try estimate(m, level: level, interval: interval)
        e.low = min(max(e.low, 0), bound)
        e.high = max(min(e.high, bound), e.low)
        return e
    }
}

extension ValueLayout {
    init(_ rules: [ValueRule], centers: [Double], pairs: [(Int, Int)] = []) {
        self.init(centers: centers, rareAbove: rules.map(\.rareAbove), rareBelow: rules.map(\.rareBelow), pairs: pairs)
    }
}
