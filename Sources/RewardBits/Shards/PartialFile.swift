import Foundation

/// A shard's output: its blocks' statistics, one record per block, with
/// everything `merge` needs to check that parts belong together and to
/// rebuild the run (the command that made them).
///
/// Layout (`FramedFile`): the magic line "RWBPART1\n", an 8-byte header
/// length, the header (JSON), then per segment an 8-byte record count and per record its
/// samples, rollouts, payload length (8 bytes each) and payload, and last an
/// FNV-1a checksum of everything before it. Written atomically (`AtomicFile`).
public struct PartialFile: Sendable {
    /// The command that made the part, without the options that do not
    /// change its blocks (shard, threads, output format, checkpoint).
    public var command: [String]
    public var seed: UInt64
    public var generator: String
    public var shard: ShardSelection
    /// False in a shard's checkpoint (an unfinished part).
    public var complete: Bool
    public var threads: Int
    public var seconds: Double
    public var cpuSeconds: Double
    public var segments: [BlockSegment]

    static let magic = Array("RWBPART1\n".utf8)

    public init(command: [String], seed: UInt64, generator: String, shard: ShardSelection, complete: Bool,
                threads: Int, seconds: Double, cpuSeconds: Double, segments: [BlockSegment]) {
        self.command = command
        self.seed = seed
        self.generator = generator
        self.shard = shard
        self.complete = complete
        self.threads = threads
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.segments = segments
    }

    /// The command as one line a shell takes back.
    public var spec: String {
        (["rewardbits"] + command).map { word in
            word.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:/^,=+".contains($0) }) ? word : "'\(word)'"
        }.joined(separator: " ")
    }

    /// FNV-1a of every segment's identity, sample count and block size: equal
    /// for parts of one run (seed included), whatever the shard.
    public var specHash: String {
        var text = ""
        for segment in segments {
            for (key, value) in segment.identity { text += "\(key)=\(value)\n" }
            text += "samples=\(segment.totalSamples)\nblock_size=\(segment.blockSize)\n\n"
        }
        return String(format: "%016llx", FNV1a.hash(Array(text.utf8)))
    }

    public func bytes() -> [UInt8] {
        let segmentHeaders: [JSONValue] = segments.map { segment in
            .object([
                ("identity", .object(segment.identity.map { ($0.0, .string($0.1)) })),
                ("total_samples", .string(String(segment.totalSamples))),
                ("block_size", .string(String(segment.blockSize))),
                ("total_blocks", .string(String(segment.blockCount))),
                ("first_block", .string(String(segment.blocks.lowerBound))),
                ("end_block", .string(String(segment.blocks.upperBound))),
            ])
        }
        let header = JSONValue.object([
            ("format", .integer(1)),
            ("stream_format", .integer(Int64(StreamFormat.version))),
            ("command", .array(command.map { .string($0) })),
            ("spec", .string(spec)),
            ("spec_hash", .string(specHash)),
            ("seed", .string(String(seed))),
            ("rng", .string(generator)),
            ("shard", .string(shard.description)),
            ("block_range", shard.window.map { .string("\($0.lowerBound)..\($0.upperBound)") } ?? .null),
            ("complete", .bool(complete)),
            ("threads", .integer(Int64(threads))),
            ("seconds", .number(seconds)),
            ("cpu_seconds", .number(cpuSeconds)),
            ("segments", .array(segmentHeaders)),
            ("written", .string(ISO8601DateFormatter().string(from: Date()))),
        ])
        var body = BinaryWriter()
        for segment in segments {
            body.write(UInt64(segment.records.count))
            for record in segment.records {
                body.write(record.samples)
                body.write(record.rollouts)
                body.write(UInt64(record.payload.count))
                body.write(bytes: record.payload)
            }
        }
        return FramedFile.bytes(magic: Self.magic, header: header, body: body.bytes)
    }

    public func write(to path: String, option: Parameter?) throws {
        try AtomicFile.write(bytes(), to: path, option: option)
    }

    /// Reads a part; `label` names it in messages ("part FILE", "--checkpoint FILE").
    /// A truncated, edited or foreign file is refused with one line.
    public static func read(_ path: String, label: String) throws -> PartialFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RewardBitsError.unreadableInput("\(label): cannot read the file")
        }
        let bytes = [UInt8](data)
        func corrupt(_ why: String) -> RewardBitsError {
            .corruptCheckpoint("\(label) is corrupted (\(why)); run its shard again")
        }
        let header: [String: Any]
        var cursor: BinaryReader
        do {
            (header, cursor) = try FramedFile.open(bytes, magic: magic)
        } catch .foreign {
            throw RewardBitsError.corruptCheckpoint("\(label) is not a RewardBits shard part (written by --shard I/N --partial FILE)")
        } catch .checksum {
            throw corrupt("checksum mismatch: truncated or edited")
        } catch .truncatedHeader {
            throw corrupt("truncated header")
        } catch .unreadableHeader {
            throw corrupt("unreadable header")
        }
        do {
            let format = header["stream_format"] as? Int ?? -1
            guard format == StreamFormat.version else {
                throw RewardBitsError.corruptCheckpoint(
                    "\(label) was written with stream format \(format), this build uses \(StreamFormat.version); run its shard again with this build")
            }
            func text(_ key: String, in object: [String: Any] = header) throws -> String {
                guard let value = object[key] as? String else { throw corrupt("missing \(key)") }
                return value
            }
            func number(_ key: String, in object: [String: Any] = header) throws -> UInt64 {
                guard let value = UInt64(try text(key, in: object)) else { throw corrupt("bad \(key)") }
                return value
            }
            guard let command = header["command"] as? [String], !command.isEmpty else { throw corrupt("missing command") }
            let shardWords = try text("shard").split(separator: "/")
            guard shardWords.count == 2, let index = UInt64(shardWords[0]), let count = UInt64(shardWords[1]) else {
                throw corrupt("bad shard")
            }
            var window: Range<UInt64>?
            if let range = header["block_range"] as? String {
                let ends = range.components(separatedBy: "..")
                guard ends.count == 2, let a = UInt64(ends[0]), let b = UInt64(ends[1]), a < b else { throw corrupt("bad block_range") }
                window = a..<b
            }
            guard let shard = try? ShardSelection(index: index, count: count, window: window) else { throw corrupt("bad shard") }
            guard let segmentHeaders = header["segments"] as? [[String: Any]] else { throw corrupt("missing segments") }
            var segments: [BlockSegment] = []
            for segmentHeader in segmentHeaders {
                guard let identityObject = segmentHeader["identity"] as? [String: String] else { throw corrupt("missing identity") }
                // JSON objects are unordered once read: the identity's order is ChannelRun's.
                let order = ["channel", "params", "seed", "rng", "confidence", "stopping", "histogram"]
                let identity = identityObject.sorted { (order.firstIndex(of: $0.key) ?? 99, $0.key) < (order.firstIndex(of: $1.key) ?? 99, $1.key) }
                    .map { ($0.key, $0.value) }
                let first = try number("first_block", in: segmentHeader), end = try number("end_block", in: segmentHeader)
                let totalSamples = try number("total_samples", in: segmentHeader), blockSize = try number("block_size", in: segmentHeader)
                guard first <= end, totalSamples > 0, blockSize > 0,
                      end <= BlockPlan(totalSamples: totalSamples, blockSize: blockSize).blockCount else { throw corrupt("bad block range") }
                let recordCount = try cursor.readInt()
                guard recordCount >= 0, UInt64(recordCount) <= end - first else { throw corrupt("too many records") }
                var records: [BlockRecord] = []
                records.reserveCapacity(recordCount)
                for _ in 0..<recordCount {
                    let samples = try cursor.readUInt64(), rollouts = try cursor.readUInt64()
                    let length = try cursor.readInt()
                    guard length >= 0, cursor.offset + length <= cursor.bytes.count else { throw corrupt("truncated record") }
                    records.append(BlockRecord(samples: samples, rollouts: rollouts,
                                               payload: Array(cursor.bytes[cursor.offset..<(cursor.offset + length)])))
                    cursor.offset += length
                }
                segments.append(BlockSegment(identity: identity, totalSamples: totalSamples, blockSize: blockSize,
                                             blocks: first..<end, records: records))
            }
            guard cursor.isAtEnd else { throw corrupt("trailing bytes") }
            let complete = header["complete"] as? Bool ?? false
            guard !complete || segments.allSatisfy(\.isComplete) else { throw corrupt("fewer records than its blocks") }
            let part = PartialFile(
                command: command, seed: try number("seed"), generator: try text("rng"), shard: shard,
                complete: complete, threads: header["threads"] as? Int ?? 0,
                seconds: header["seconds"] as? Double ?? 0, cpuSeconds: header["cpu_seconds"] as? Double ?? 0,
                segments: segments)
            guard try text("spec_hash") == part.specHash else { throw corrupt("its spec hash does not match its spec") }
            return part
        } catch let error as RewardBitsError {
            throw error
        } catch {
            throw corrupt("truncated")
        }
    }
}
