import Foundation

/// A compact, exact binary form for sufficient statistics, used by
/// checkpoints: integers little-endian, doubles by bit pattern, so a resumed
/// run continues from exactly the numbers it stopped at.
public protocol BinaryCodable {
    func encode(into writer: inout BinaryWriter)
    init(from reader: inout BinaryReader) throws
}

public struct BinaryWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    /// Raw bytes, as they are (no length before them).
    public mutating func write(bytes raw: [UInt8]) { bytes += raw }
    public mutating func write(_ value: UInt128) {
        write(UInt64(truncatingIfNeeded: value))
        write(UInt64(truncatingIfNeeded: value >> 64))
    }
    public mutating func write(_ value: Double) { write(value.bitPattern) }
    public mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }
    public mutating func write(_ values: [UInt64]) {
        write(values.count)
        for v in values { write(v) }
    }
    public mutating func write(_ values: [UInt128]) {
        write(values.count)
        for v in values { write(v) }
    }
    public mutating func write(_ values: [UInt32]) {
        write(values.count)
        values.withUnsafeBytes { raw in
            // UInt32 little-endian on every platform Swift runs on here.
            bytes.append(contentsOf: raw)
        }
    }
    public mutating func write(_ values: [Double]) {
        write(values.count)
        for v in values { write(v) }
    }
    public mutating func write<T: BinaryCodable>(_ value: T) { value.encode(into: &self) }
}

public struct BinaryReader {
    public let bytes: [UInt8]
    public var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    public static let corrupt = RewardBitsError.corruptCheckpoint("the statistics are truncated or malformed")

    public mutating func readUInt64() throws -> UInt64 {
        guard offset + 8 <= bytes.count else { throw Self.corrupt }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return value
    }
    public mutating func readUInt128() throws -> UInt128 {
        let low = try readUInt64()
        let high = try readUInt64()
        return UInt128(low) | (UInt128(high) << 64)
    }
    public mutating func readDouble() throws -> Double { Double(bitPattern: try readUInt64()) }
    public mutating func readInt() throws -> Int {
        let value = Int64(bitPattern: try readUInt64())
        guard value >= 0, value <= Int64(1) << 40 else { throw Self.corrupt }
        return Int(value)
    }
    public mutating func readUInt64Array() throws -> [UInt64] {
        let count = try readInt()
        guard offset + 8 * count <= bytes.count else { throw Self.corrupt }
        return try (0..<count).map { _ in try readUInt64() }
    }
    public mutating func readUInt128Array() throws -> [UInt128] {
        let count = try readInt()
        guard offset + 16 * count <= bytes.count else { throw Self.corrupt }
        return try (0..<count).map { _ in try readUInt128() }
    }
    public mutating func readUInt32Array() throws -> [UInt32] {
        let count = try readInt()
        guard offset + 4 * count <= bytes.count else { throw Self.corrupt }
        var values = [UInt32](repeating: 0, count: count)
        values.withUnsafeMutableBytes { raw in
            raw.copyBytes(from: bytes[offset..<(offset + 4 * count)])
        }
        offset += 4 * count
        return values
    }
    public mutating func readDoubleArray() throws -> [Double] {
        let count = try readInt()
        guard offset + 8 * count <= bytes.count else { throw Self.corrupt }
        return try (0..<count).map { _ in try readDouble() }
    }
    public mutating func read<T: BinaryCodable>(_: T.Type = T.self) throws -> T { try T(from: &self) }
}

/// FNV-1a, 64 bits: detects a truncated or edited checkpoint.
public enum FNV1a {
    public static func hash<C: Sequence>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }
}
