/// Moments of a per-sample value split by whether the sample was a rare
/// event (a hit T = S, a rewarded checkpoint, a value near the top of its
/// range): the statistics `Estimate.rareEventMean` needs, because the rare
/// events' count is binomial and must get a count interval of its own.
///
/// Each stratum keeps its moments and the smallest and largest value seen,
/// which say whether every sample of the stratum had one value and how far
/// the largest sample lies from the mean (the heavy-tail diagnostic).
public struct StratifiedMoments: SufficientStatistics, Equatable {
    public var common = Moments()
    public var rare = Moments()
    public var commonRange = ObservedRange()
    public var rareRange = ObservedRange()
    /// The per-sample values' distribution, when asked for (`--histogram`).
    public var bins: SurpriseBins?

    public init() {}

    /// Both strata sum around `center` (fixed by the spec, never by data).
    public init(center: Double, binWidth: Double? = nil) {
        common = Moments(center: center)
        rare = Moments(center: center)
        bins = binWidth.map(SurpriseBins.init(width:))
    }

    @inlinable @inline(__always)
    public mutating func add(_ x: Double, rare isRare: Bool) {
        if isRare {
            rare.add(x)
            rareRange.add(x)
        } else {
            common.add(x)
            commonRange.add(x)
        }
        if bins != nil { bins!.add(x) }
    }

    /// `n` samples of the value x at once (see `Moments.add(_:count:)`).
    public mutating func add(_ x: Double, count n: UInt64, rare isRare: Bool) {
        guard n > 0 else { return }
        if isRare {
            rare.add(x, count: n)
            rareRange.add(x)
        } else {
            common.add(x, count: n)
            commonRange.add(x)
        }
        if bins != nil { bins!.add(x, count: n) }
    }

    public mutating func merge(_ next: StratifiedMoments) {
        common.merge(next.common)
        rare.merge(next.rare)
        commonRange.merge(next.commonRange)
        rareRange.merge(next.rareRange)
        if let nextBins = next.bins {
            if bins == nil { bins = nextBins } else { bins!.merge(nextBins) }
        }
    }

    public var count: UInt64 { common.count + rare.count }

    /// The sample mean over both strata.
    public var mean: Double {
        let n = Double(count)
        guard n > 0 else { return 0 }
        return (Double(rare.count) * stratumMean(rare) + Double(common.count) * stratumMean(common)) / n
    }

    /// The unbiased sample variance over both strata (law of total variance).
    public var variance: Double {
        guard count > 1 else { return 0 }
        let n = Double(count), m = mean
        var total = 0.0
        for s in [rare, common] where s.count > 0 {
            let d = stratumMean(s) - m
            total += Double(s.count - 1) * s.variance + Double(s.count) * d * d
        }
        return max(0, total / (n - 1))
    }

    private func stratumMean(_ s: Moments) -> Double { s.count == 0 ? 0 : s.mean }

    /// The largest squared distance of one sample from the mean, as a share
    /// of the sum of all squared distances: near 1/n for well-behaved
    /// values, near 1 when one sample carries the spread.
    public var largestShareOfSquares: Double {
        guard count > 1 else { return 0 }
        let m = mean
        let total = variance * Double(count - 1)
        guard total > 0 else { return 0 }
        var largest = 0.0
        for range in [rareRange, commonRange] where range.minimum <= range.maximum {
            largest = max(largest, (range.minimum - m) * (range.minimum - m), (range.maximum - m) * (range.maximum - m))
        }
        return min(1, largest / total)
    }
}

/// The smallest and largest value added (empty: +inf, -inf).
public struct ObservedRange: Sendable, Equatable {
    public var minimum = Double.infinity
    public var maximum = -Double.infinity

    public init() {}

    @inlinable @inline(__always)
    public mutating func add(_ x: Double) {
        minimum = Swift.min(minimum, x)
        maximum = Swift.max(maximum, x)
    }

    public mutating func merge(_ next: ObservedRange) {
        minimum = Swift.min(minimum, next.minimum)
        maximum = Swift.max(maximum, next.maximum)
    }

    /// Whether every value added was the same (or none was).
    public var isSingleValue: Bool { !(minimum < maximum) }
}

extension StratifiedMoments {
    public func encode(into writer: inout BinaryWriter) {
        writer.write(common)
        writer.write(rare)
        for range in [commonRange, rareRange] {
            writer.write(range.minimum)
            writer.write(range.maximum)
        }
        writer.write(bins == nil ? 0 : 1)
        bins?.encode(into: &writer)
    }

    public init(from reader: inout BinaryReader) throws {
        common = try reader.read()
        rare = try reader.read()
        commonRange.minimum = try reader.readDouble()
        commonRange.maximum = try reader.readDouble()
        rareRange.minimum = try reader.readDouble()
        rareRange.maximum = try reader.readDouble()
        if try reader.readInt() == 1 { bins = try SurpriseBins(from: &reader) }
    }
}
