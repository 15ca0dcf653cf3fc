/// A sum of doubles kept as an unevaluated pair (high + low) with Knuth's
/// TwoSum, so that adding 10^13 terms loses no more than a few ulps.
///
/// Additions are not associative in floating point: the engine always merges
/// in block order, which keeps results bitwise reproducible.
public struct CompensatedSum: Sendable, Equatable, BinaryCodable {
    public var high: Double = 0
    public var low: Double = 0

    public init() {}

    @inlinable @inline(__always)
    public mutating func add(_ x: Double) {
        let sum = high + x
        let virtual = sum - high
        let error = (high - (sum - virtual)) + (x - virtual)
        high = sum
        low += error
    }

    @inlinable
    public mutating func add(_ other: CompensatedSum) {
        add(other.high)
        add(other.low)
    }

    @inlinable
    public var value: Double { high + low }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(high)
        writer.write(low)
    }

    public init(from reader: inout BinaryReader) throws {
        high = try reader.readDouble()
        low = try reader.readDouble()
    }
}
