/// A token block's statistics: exact count moments (per-token rewards), the
/// moments of the per-episode value (aggregate rewards; or only its
/// histogram), those of the per-checkpoint value (rewarded checkpoints
/// apart: the rare events), and a count of rewarded checkpoints.
public struct TokenStatistics: SufficientStatistics {
    public var counts = CountMoments()
    public var values = StratifiedMoments()
    public var checkpoints = StratifiedMoments()
    public var successes: UInt64 = 0

    public init() {}

    public mutating func merge(_ next: TokenStatistics) {
        counts.merge(next.counts)
        values.merge(next.values)
        checkpoints.merge(next.checkpoints)
        successes += next.successes
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(counts)
        writer.write(values)
        writer.write(checkpoints)
        writer.write(successes)
    }

    public init(from reader: inout BinaryReader) throws {
        counts = try reader.read()
        values = try reader.read()
        checkpoints = try reader.read()
        successes = try reader.readUInt64()
    }
}
