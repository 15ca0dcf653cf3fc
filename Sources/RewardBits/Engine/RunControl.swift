import Foundation
import Synchronization

/// What can end or save a run besides running out of blocks: a stop rule
/// checked at every block boundary, periodic checkpoints, and an interrupt.
public struct RunControl<Statistics: SufficientStatistics>: Sendable {
    /// Evaluated after each merged block, in block order, on the merged
    /// statistics and sample count: true ends the run at that boundary. Since
    /// it sees exactly the same numbers whatever the thread count, the stop
    /// point is the same too.
    public var stopRule: (@Sendable (Statistics, UInt64) -> Bool)?
    /// The current confidence-interval half-width, for the progress line.
    public var halfWidth: (@Sendable (Statistics, UInt64) -> Double?)?
    public var checkpoint: CheckpointFile?
    public var interrupt: InterruptFlag?
    /// Run only these blocks of the plan (a shard, or the blocks a merge
    /// holds); nil for all of them. Checkpoints are not used with a range.
    public var blockRange: Range<UInt64>?
    /// Called with each block as it is merged, in block order, with its
    /// sample count (a shard keeps them); an error stops the run.
    public var blockMerged: (@Sendable (UInt64, UInt64, BlockResult<Statistics>) throws -> Void)?
    /// A block's stored result, taken instead of running the kernel (a merge).
    public var storedBlock: (@Sendable (UInt64) -> BlockResult<Statistics>)?

    public init(stopRule: (@Sendable (Statistics, UInt64) -> Bool)? = nil,
                halfWidth: (@Sendable (Statistics, UInt64) -> Double?)? = nil,
                checkpoint: CheckpointFile? = nil, interrupt: InterruptFlag? = nil) {
        self.stopRule = stopRule
        self.halfWidth = halfWidth
        self.checkpoint = checkpoint
        self.interrupt = interrupt
    }
}

/// Set from a signal handler, read by the scheduler.
public final class InterruptFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func raise() { flag.store(true, ordering: .relaxed) }
    public var isRaised: Bool { flag.load(ordering: .relaxed) }
}

/// When to stop a run that aims at a confidence-interval half-width.
public struct SequentialStopping: Sendable, Equatable {
    public var targetHalfWidth: Double
    /// Never stop with fewer samples than this.
    public var minimumSamples: UInt64
    /// Rare-event channels: never stop with fewer successes than this.
    public var minimumSuccesses: UInt64

    public static let defaultMinimumSamples: UInt64 = 10_000
    public static let defaultMinimumSuccesses: UInt64 = 50

    public init(targetHalfWidth: Double, minimumSamples: UInt64 = defaultMinimumSamples,
                minimumSuccesses: UInt64 = defaultMinimumSuccesses) throws {
        guard targetHalfWidth.isFinite, targetHalfWidth > 0 else {
            throw RewardBitsError.invalidInput(
                "\(Parameter.targetHalfWidth) must be a positive number of bits (got \(targetHalfWidth)); e.g. \(Parameter.targetHalfWidth) 1e-4")
        }
        self.targetHalfWidth = targetHalfWidth
        self.minimumSamples = minimumSamples
        self.minimumSuccesses = minimumSuccesses
    }
}
