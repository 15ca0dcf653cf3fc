/// A group block's statistics: exact counts per class (M, or M and hit under
/// a uniform prior) and, for a non-uniform prior or noise, the moments of the
/// value (pointwise: hits apart from misses).
public struct GroupStatistics: SufficientStatistics, Equatable {
    public var classes = ClassCounts()
    public var values = StratifiedMoments()

    public init() {}

    public mutating func merge(_ next: GroupStatistics) {
        classes.merge(next.classes)
        values.merge(next.values)
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(classes)
        writer.write(values)
    }

    public init(from reader: inout BinaryReader) throws {
        classes = try reader.read()
        values = try reader.read()
    }

    /// Counts per M = 0...K, folding the hit flag away when present.
    public func distinctCounts(groupSize: Int, pointwise: Bool) -> ClassCounts {
        guard pointwise else { return classes }
        var folded = ClassCounts(classes: groupSize + 1)
        for m in 0...groupSize { folded.counts[m] = classes.counts[2 * m] + classes.counts[2 * m + 1] }
        return folded
    }
}
