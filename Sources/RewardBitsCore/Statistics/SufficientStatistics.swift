/// What a block of samples reduces to. Blocks are merged in block order, so
/// floating-point parts give the same bits whatever the thread count. The
/// encoding keeps everything `merge` reads, for merged statistics (a
/// checkpoint) and for one block alike (a shard stores each block's).
public protocol SufficientStatistics: Sendable, BinaryCodable {
    /// The statistics of no samples.
    init()
    /// Adds the statistics of the next block.
    mutating func merge(_ next: Self)
}

/// Counts of samples per value class: exact integers, merged by addition.
///
/// Used wherever a sample's pointwise information takes one of a few values
/// known in advance (a success or a failure under a uniform prior, the number
/// M of distinct tokens in a group): the mean and variance are then computed
/// exactly from the counts when the run ends.
public struct ClassCounts: SufficientStatistics, Equatable {
    public var counts: [UInt64]

    public init() { counts = [] }
    public init(classes: Int) { counts = [UInt64](repeating: 0, count: classes) }

    public mutating func merge(_ next: ClassCounts) {
        if counts.isEmpty { counts = next.counts; return }
        if next.counts.isEmpty { return }
        precondition(counts.count == next.counts.count)
        for i in counts.indices { counts[i] += next.counts[i] }
    }

    public var total: UInt64 { counts.reduce(0, +) }

    /// Mean and unbiased variance of the value, class c having value values[c].
    public func moments(values: [Double]) -> (mean: Double, variance: Double) {
        precondition(values.count == counts.count)
        let n = Double(total)
        var sum = CompensatedSum()
        for (c, count) in counts.enumerated() where count > 0 {
            sum.add(Double(count) * values[c])
        }
        let mean = sum.value / n
        var squares = CompensatedSum()
        for (c, count) in counts.enumerated() where count > 0 {
            let d = values[c] - mean
            squares.add(Double(count) * d * d)
        }
        let variance = total > 1 ? squares.value / (n - 1) : 0
        return (mean, variance)
    }
}

/// Sums of a real-valued per-sample quantity x, kept as x - center so the
/// variance does not cancel when it is small against the mean.
public struct Moments: SufficientStatistics, Equatable {
    public var count: UInt64 = 0
    public var sum = CompensatedSum()
    public var sumOfSquares = CompensatedSum()
    /// The shift subtracted before summing (fixed by the spec, never by data).
    public var center: Double = 0
    /// The per-sample values' distribution, when asked for (`--histogram`).
    public var bins: SurpriseBins?

    public init() {}
    public init(center: Double, binWidth: Double? = nil) {
        self.center = center
        bins = binWidth.map(SurpriseBins.init(width:))
    }

    @inlinable @inline(__always)
    public mutating func add(_ x: Double) {
        let d = x - center
        count += 1
        sum.add(d)
        sumOfSquares.add(d * d)
        if bins != nil { bins!.add(x) }
    }

    /// `n` samples of the value x at once, for a kernel that counts how
    /// often each of a few values occurs: the sums gain n (x - c) and
    /// n (x - c)^2, each product rounded once (so within about an ulp of
    /// adding x n times, not bitwise equal to it).
    public mutating func add(_ x: Double, count n: UInt64) {
        guard n > 0 else { return }
        let d = x - center
        count += n
        sum.add(Double(n) * d)
        sumOfSquares.add(Double(n) * (d * d))
        if bins != nil { bins!.add(x, count: n) }
    }

    public mutating func merge(_ next: Moments) {
        if count == 0 && next.count == 0 { center = next.center; bins = next.bins; return }
        if next.count == 0 { return }
        if count == 0 { self = next; return }
        precondition(center == next.center, "blocks summed around different centers")
        count += next.count
        sum.add(next.sum)
        sumOfSquares.add(next.sumOfSquares)
        if let nextBins = next.bins { bins?.merge(nextBins) }
    }

    public var mean: Double { center + sum.value / Double(count) }

    /// Unbiased sample variance.
    public var variance: Double {
        guard count > 1 else { return 0 }
        let n = Double(count)
        let m = sum.value / n
        return max(0, (sumOfSquares.value - n * m * m) / (n - 1))
    }
}

extension ClassCounts {
    public func encode(into writer: inout BinaryWriter) { writer.write(counts) }
    public init(from reader: inout BinaryReader) throws { counts = try reader.readUInt64Array() }
}

extension Moments {
    public func encode(into writer: inout BinaryWriter) {
        writer.write(count)
        writer.write(sum)
        writer.write(sumOfSquares)
        writer.write(center)
        writer.write(bins == nil ? 0 : 1)
        bins?.encode(into: &writer)
    }
    public init(from reader: inout BinaryReader) throws {
        count = try reader.readUInt64()
        sum = try reader.read()
        sumOfSquares = try reader.read()
        center = try reader.readDouble()
        if try reader.readInt() == 1 { bins = try SurpriseBins(from: &reader) }
    }
}
