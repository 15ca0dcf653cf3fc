import Foundation
import Synchronization

/// Where a run stands: merged statistics of blocks 0..<nextBlock.
public struct RunState<Statistics: SufficientStatistics>: Sendable {
    public var statistics: Statistics
    public var nextBlock: UInt64
    public var samples: UInt64
    public var rollouts: UInt64
    /// True once the run has reached its end (all blocks, or its stop rule).
    public var complete: Bool

    public init(statistics: Statistics = Statistics(), nextBlock: UInt64 = 0, samples: UInt64 = 0,
                rollouts: UInt64 = 0, complete: Bool = false) {
        self.statistics = statistics
        self.nextBlock = nextBlock
        self.samples = samples
        self.rollouts = rollouts
        self.complete = complete
    }
}

/// A checkpoint file: the merged statistics of a run at a block boundary,
/// with what identifies the run (channel, every parameter, block size, seed,
/// generator, stop rule) and the stream-format version.
///
/// Layout (`FramedFile`): the magic line "RWBCKPT1\n", an 8-byte header
/// length, the header (JSON), an 8-byte payload length, the payload
/// (statistics, BinaryCodable) and an FNV-1a checksum of everything before it. Writes go to a temporary
/// file in the same folder, are flushed with fsync, then renamed over the
/// old checkpoint, so a crash at any moment leaves the previous good one.
public struct CheckpointFile: Sendable {
    public let path: String
    /// Ordered (name, value) pairs that must match for a resume.
    public let identity: [(String, String)]
    /// Seconds between periodic saves.
    public let interval: Double

    static let magic = Array("RWBCKPT1\n".utf8)

    public init(path: String, identity: [(String, String)], interval: Double = 1) {
        self.path = path
        self.identity = identity
        self.interval = interval
    }

    /// Fails now, before any work, if the checkpoint cannot be written.
    public func checkWritable() throws {
        try AtomicFile.checkWritable(path, option: .checkpoint)
    }

    public func save<S: SufficientStatistics & BinaryCodable>(_ state: RunState<S>) throws {
        var header: [(String, JSONValue)] = [
            ("format", .integer(1)),
            ("stream_format", .integer(Int64(StreamFormat.version))),
            ("identity", .object(identity.map { ($0.0, .string($0.1)) })),
            ("next_block", .unsigned(state.nextBlock)),
            ("samples", .unsigned(state.samples)),
            ("rollouts", .unsigned(state.rollouts)),
            ("complete", .bool(state.complete)),
        ]
        header.append(("written", .string(ISO8601DateFormatter().string(from: Date()))))
        var payload = BinaryWriter()
        state.statistics.encode(into: &payload)
        var body = BinaryWriter()
        body.write(UInt64(payload.bytes.count))
        let bytes = FramedFile.bytes(magic: Self.magic, header: .object(header), body: body.bytes + payload.bytes)

        try AtomicFile.write(bytes, to: path, option: .checkpoint,
                             stallAt: CheckpointFaults.stallOffset(total: bytes.count), stall: CheckpointFaults.stall)
    }

    /// The saved state, or nil when there is no checkpoint yet. A corrupted
    /// file, a file from another run or another stream format is refused.
    public func load<S: SufficientStatistics & BinaryCodable>(_: S.Type = S.self) throws -> RunState<S>? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RewardBitsError.unreadableInput("\(Parameter.checkpoint) \(path): cannot read the file")
        }
        let bytes = [UInt8](data)
        func corrupt(_ why: String) -> RewardBitsError {
            .corruptCheckpoint("\(Parameter.checkpoint) \(path) is not a usable checkpoint (\(why)); delete it to start afresh")
        }
        let header: [String: Any]
        var cursor: BinaryReader
        do {
            (header, cursor) = try FramedFile.open(bytes, magic: Self.magic, minimumBody: 8)
        } catch .foreign {
            throw corrupt("not a RewardBits checkpoint")
        } catch .checksum {
            throw corrupt("checksum mismatch: truncated or edited")
        } catch .truncatedHeader {
            throw corrupt("truncated header")
        } catch .unreadableHeader {
            throw corrupt("unreadable header")
        }
        let format = header["stream_format"] as? Int ?? -1
        guard format == StreamFormat.version else {
            throw RewardBitsError.corruptCheckpoint(
                "\(Parameter.checkpoint) \(path) was written with stream format \(format), this build uses \(StreamFormat.version); its numbers cannot be continued (delete it to start afresh)")
        }
        let stored = header["identity"] as? [String: String] ?? [:]
        for (key, value) in identity where stored[key] != value {
            throw RewardBitsError.corruptCheckpoint(
                "\(Parameter.checkpoint) \(path) belongs to another run (\(key) = \(stored[key] ?? "missing") there, \(value) here); use another path or delete it")
        }
        guard stored.count == identity.count else { throw corrupt("its run description has extra fields") }
        let payloadLength = try cursor.readInt()
        guard cursor.offset + payloadLength == cursor.bytes.count else { throw corrupt("payload length mismatch") }
        var payload = BinaryReader(Array(cursor.bytes[cursor.offset...]))
        let statistics = try S(from: &payload)
        guard payload.isAtEnd else { throw corrupt("trailing bytes") }
        func number(_ key: String) throws -> UInt64 {
            guard let n = header[key] as? NSNumber else { throw corrupt("missing \(key)") }
            return n.uint64Value
        }
        return RunState(statistics: statistics, nextBlock: try number("next_block"), samples: try number("samples"),
                        rollouts: try number("rollouts"), complete: header["complete"] as? Bool ?? false)
    }

}

/// Fault injection for the crash tests. With `REWARDBITS_FAULT_STALL_CHECKPOINT=N`
/// in the environment, the Nth checkpoint save of the process writes half of
/// its temporary file and then sleeps for an hour, so that a test can kill the
/// process in the middle of a write and check that the previous checkpoint
/// is still the one on disk. Without the variable nothing changes.
enum CheckpointFaults {
    private static let stallAtSave: Int? = ProcessInfo.processInfo.environment["REWARDBITS_FAULT_STALL_CHECKPOINT"]
        .flatMap { Int($0) }
    private static let saves = Atomic<Int>(0)

    /// The byte offset at which this save stalls, or -1 for none.
    static func stallOffset(total: Int) -> Int {
        guard let stallAtSave else { return -1 }
        return saves.wrappingAdd(1, ordering: .relaxed).newValue == stallAtSave ? total / 2 : -1
    }

    static func stall() { sleep(3600) }
}
