import Foundation

/// Which blocks a shard computes: shard `index` of `count` takes blocks
/// [floor(i W / n), floor((i + 1) W / n)) of a window of W blocks (the whole
/// run unless a window is given), so the split depends on the spec and the
/// shard's index only, never on threads, timing or the machine.
public struct ShardSelection: Sendable, Equatable, CustomStringConvertible {
    public let index: UInt64
    public let count: UInt64
    /// The blocks the shards split (clipped to the run); nil for all of them.
    public let window: Range<UInt64>?

    public init(index: UInt64, count: UInt64, window: Range<UInt64>? = nil) throws {
        guard count >= 1, index < count else {
            throw RewardBitsError.invalidInput("--shard I/N needs 0 <= I < N (got \(index)/\(count)); e.g. --shard 0/8 ... --shard 7/8")
        }
        if let window, window.isEmpty {
            throw RewardBitsError.invalidInput("--block-range A..B needs A < B (got \(window.lowerBound)..\(window.upperBound))")
        }
        self.index = index
        self.count = count
        self.window = window
    }

    public var description: String { "\(index)/\(count)" }

    /// This shard's blocks in a run of `blockCount` blocks.
    public func blocks(of blockCount: UInt64) -> Range<UInt64> {
        let all = window.map { min($0.lowerBound, blockCount)..<min($0.upperBound, blockCount) } ?? 0..<blockCount
        return Self.part(index, of: count, in: all)
    }

    /// Part `i` of `n` of `blocks`: floor(i W / n) without overflow for any W.
    public static func part(_ i: UInt64, of n: UInt64, in blocks: Range<UInt64>) -> Range<UInt64> {
        let width = UInt64(blocks.count)
        func edge(_ k: UInt64) -> UInt64 {
            let product = width.multipliedFullWidth(by: k)
            return n.dividingFullWidth((high: product.high, low: product.low)).quotient
        }
        return (blocks.lowerBound + edge(i))..<(blocks.lowerBound + edge(i + 1))
    }
}

/// One block's statistics as a shard stores them: exactly what the engine
/// merges, so a merge folds the same values in the same order as one process.
public struct BlockRecord: Sendable, Equatable {
    public var samples: UInt64
    public var rollouts: UInt64
    /// The block's statistics, `BinaryCodable`-encoded.
    public var payload: [UInt8]

    public init(samples: UInt64, rollouts: UInt64, payload: [UInt8]) {
        self.samples = samples
        self.rollouts = rollouts
        self.payload = payload
    }
}

/// The stored blocks of one engine run (one `estimate`, or one point of a
/// `sweep`): consecutive blocks from `blocks.lowerBound`.
public struct BlockSegment: Sendable {
    /// What must match for the blocks to belong to a run (`ChannelRun.identity`
    /// with the plan's block size and sample count).
    public var identity: [(String, String)]
    public var totalSamples: UInt64
    public var blockSize: UInt64
    public var blocks: Range<UInt64>
    /// `records[k]` is block `blocks.lowerBound + k`; fewer than `blocks.count`
    /// while a shard is still running.
    public var records: [BlockRecord]

    public init(identity: [(String, String)], totalSamples: UInt64, blockSize: UInt64, blocks: Range<UInt64>,
                records: [BlockRecord] = []) {
        self.identity = identity
        self.totalSamples = totalSamples
        self.blockSize = blockSize
        self.blocks = blocks
        self.records = records
    }

    public var blockCount: UInt64 { BlockPlan(totalSamples: totalSamples, blockSize: blockSize).blockCount }
    public var isComplete: Bool { UInt64(records.count) == UInt64(blocks.count) }

    /// True when both describe the same run (blocks aside).
    public func sameRun(as other: BlockSegment) -> Bool {
        totalSamples == other.totalSamples && blockSize == other.blockSize
            && identity.map { "\($0.0)=\($0.1)" } == other.identity.map { "\($0.0)=\($0.1)" }
    }
}

/// What a merge found when a stop rule had fewer blocks than it needed.
public struct ReplayReport: Sendable {
    /// Blocks the parts hold (from block 0) and blocks in the whole run.
    public var coveredBlocks: UInt64
    public var totalBlocks: UInt64
    public var targetHalfWidth: Double?
    /// The half-width after the covered blocks (nil when not computed).
    public var halfWidth: Double?
    public var targetReached: Bool?
    /// With a target not yet reached: blocks to add after the covered ones,
    /// from the 1/sqrt(n) law (the half-width times sqrt(n / needed)).
    public var moreBlocks: UInt64?
}

/// A run that computes or replays stored blocks instead of all of them.
///
/// `compute`: each engine run computes only its shard's blocks and keeps
/// one `BlockRecord` per block, in block order; the channel's estimate is not
/// computed (`ChannelRun.execute` throws `ShardComputed` once the blocks are
/// in). `replay`: each engine run takes its blocks from the given segments
/// (one per engine run, in order) instead of the kernel, so the statistics,
/// the stop rule and every number after them are those of one process.
public final class PartialRun: @unchecked Sendable {
    public enum Role: Sendable {
        case compute(ShardSelection)
        case replay
    }

    public let role: Role
    private let lock = NSLock()
    private var storedSegments: [BlockSegment]
    private var nextSegment = 0
    private var storedReports: [ReplayReport] = []
    /// Compute: called with every segment so far, at most every `saveInterval`
    /// seconds and when a run is interrupted (a shard's checkpoint).
    public var save: (@Sendable ([BlockSegment]) throws -> Void)?
    public var saveInterval: Double = 1
    private var lastSave = Date()
    /// Compute: segments of an earlier, unfinished attempt to continue.
    private let resumable: [BlockSegment]

    /// A shard that computes its blocks; `resume` holds an earlier attempt's
    /// segments (from its checkpoint), continued where they match.
    public init(computing shard: ShardSelection, resume: [BlockSegment] = []) {
        role = .compute(shard)
        storedSegments = []
        resumable = resume
    }

    /// A merge: `segments` in the order of the engine runs, each holding
    /// blocks from block 0.
    public init(replaying segments: [BlockSegment]) {
        role = .replay
        storedSegments = segments
        resumable = []
    }

    public var segments: [BlockSegment] { lock.withLock { storedSegments } }
    /// Compute: blocks taken from the earlier attempt rather than computed.
    public var resumedBlocks: Int { lock.withLock { resumedCount } }
    private var resumedCount = 0
    public var reports: [ReplayReport] { lock.withLock { storedReports } }

    /// Compute: starts the next segment, returning the blocks already done.
    func beginSegment(_ segment: BlockSegment) -> [BlockRecord] {
        lock.withLock {
            var segment = segment
            let index = storedSegments.count
            if index < resumable.count, resumable[index].sameRun(as: segment), resumable[index].blocks == segment.blocks {
                segment.records = resumable[index].records
                resumedCount += segment.records.count
            }
            storedSegments.append(segment)
            return segment.records
        }
    }

    /// Compute: keeps the next block of the current segment (called in block order).
    func append(_ record: BlockRecord) throws {
        let snapshot: [BlockSegment]? = lock.withLock {
            storedSegments[storedSegments.count - 1].records.append(record)
            guard save != nil, Date().timeIntervalSince(lastSave) >= saveInterval else { return nil }
            lastSave = Date()
            return storedSegments
        }
        if let snapshot { try save?(snapshot) }
    }

    /// Compute: writes the checkpoint now (after an interrupt).
    func saveNow() throws {
        try save?(segments)
    }

    /// Replay: the stored segment for the next engine run, which must be `run`.
    func takeSegment(for run: BlockSegment) throws -> BlockSegment {
        try lock.withLock {
            guard nextSegment < storedSegments.count else {
                throw RewardBitsError.corruptCheckpoint("the parts hold \(storedSegments.count) runs, but their command makes more; were they written by another version of rewardbits?")
            }
            let stored = storedSegments[nextSegment]
            guard stored.sameRun(as: run) else {
                let theirs = Dictionary(stored.identity, uniquingKeysWith: { a, _ in a })
                let differing = run.identity.first { theirs[$0.0] != $0.1 }
                throw RewardBitsError.corruptCheckpoint("the parts' blocks do not belong to the run their command makes (\(differing.map { "\($0.0) differs" } ?? "the sample count or block size differs")); were they written by another version of rewardbits?")
            }
            nextSegment += 1
            return stored
        }
    }

    func report(_ report: ReplayReport) {
        lock.withLock { storedReports.append(report) }
    }
}

/// Thrown by `ChannelRun.execute` in a computing shard once its blocks are
/// stored: the channel's estimate needs every block, so it is left to `merge`.
public struct ShardComputed: Error, Sendable {
    public let blocks: Range<UInt64>
    public let totalBlocks: UInt64
}
