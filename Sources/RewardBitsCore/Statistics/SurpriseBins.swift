import Foundation

/// The distribution of per-sample values (the "surprise" of a rollout under
/// the pointwise estimator), in bins of a fixed width in bits. Sparse: only
/// bins that occur are stored, so no range has to be known in advance.
public struct SurpriseBins: Sendable, Equatable {
    public var width: Double
    /// Bin k holds values in [k w, (k + 1) w).
    public var counts: [Int64: UInt64] = [:]

    public init(width: Double) { self.width = width }

    @inline(__always)
    public mutating func add(_ value: Double) { add(value, count: 1) }

    /// `n` samples of `value` at once.
    @inline(__always)
    public mutating func add(_ value: Double, count n: UInt64) {
        let k = Int64((value / width).rounded(.down).clamped(to: -1e15...1e15))
        counts[k, default: 0] += n
    }

    public mutating func merge(_ next: SurpriseBins) {
        for (k, n) in next.counts { counts[k, default: 0] += n }
    }

    /// (low, high, count) in increasing order.
    public var rows: [(Double, Double, UInt64)] {
        counts.keys.sorted().map { (Double($0) * width, Double($0 + 1) * width, counts[$0]!) }
    }

    func encode(into writer: inout BinaryWriter) {
        writer.write(width)
        let keys = counts.keys.sorted()
        writer.write(keys.count)
        for k in keys {
            writer.write(UInt64(bitPattern: k))
            writer.write(counts[k]!)
        }
    }

    init(from reader: inout BinaryReader) throws {
        width = try reader.readDouble()
        let n = try reader.readInt()
        for _ in 0..<n {
            let k = Int64(bitPattern: try reader.readUInt64())
            counts[k] = try reader.readUInt64()
        }
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}

/// A histogram as reported: exact atoms (value, count) when the per-sample
/// value takes few known values, otherwise bins.
public enum SurpriseHistogram: Sendable {
    case atoms([(value: Double, count: UInt64)])
    case bins(width: Double, rows: [(low: Double, high: Double, count: UInt64)])

    /// Atoms from exact class counts, equal values merged.
    public static func atoms(counts: ClassCounts, values: [Double]) -> SurpriseHistogram {
        var merged: [Double: UInt64] = [:]
        for (c, n) in counts.counts.enumerated() where n > 0 { merged[values[c], default: 0] += n }
        return .atoms(merged.keys.sorted().map { ($0, merged[$0]!) })
    }

    public var total: UInt64 {
        switch self {
        case .atoms(let a): return a.reduce(0) { $0 + $1.count }
        case .bins(_, let rows): return rows.reduce(0) { $0 + $1.count }
        }
    }
}
