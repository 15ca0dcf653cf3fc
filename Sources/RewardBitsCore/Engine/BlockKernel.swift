/// The per-block work of a channel: draw `samples` samples from the stream
/// of (seed, block) and reduce them to sufficient statistics.
///
/// The method is not generic on purpose: a kernel opens its own stream
/// inside its module, so the hot loop is specialised and compiled with that
/// module's instruction set (see `KernelFactory`).
public protocol BlockKernel<Statistics>: Sendable {
    associatedtype Statistics: SufficientStatistics
    func run(block: UInt64, samples: Int, stream: StreamKey, generator: RandomGenerator) -> BlockResult<Statistics>
}

/// One block's statistics and the number of policy draws it made.
public struct BlockResult<Statistics: SufficientStatistics>: Sendable {
    public var statistics: Statistics
    public var rollouts: UInt64
    public init(statistics: Statistics, rollouts: UInt64) {
        self.statistics = statistics
        self.rollouts = rollouts
    }
}

/// How the samples of a run are cut into blocks. Depends on the spec only,
/// never on the thread count, so that results do not either.
public struct BlockPlan: Sendable, Equatable {
    public let totalSamples: UInt64
    public let blockSize: UInt64

    public init(totalSamples: UInt64, blockSize: UInt64) {
        precondition(totalSamples > 0 && blockSize > 0)
        self.totalSamples = totalSamples
        self.blockSize = blockSize
    }

    /// ceil(totalSamples / blockSize), without the overflow of
    /// totalSamples + blockSize - 1 near 2^64.
    public var blockCount: UInt64 { (totalSamples - 1) / blockSize + 1 }

    /// Samples in block `index` (the last block may be short).
    public func samples(inBlock index: UInt64) -> Int {
        Int(min(blockSize, totalSamples - index * blockSize))
    }

    /// The largest power of two not above `target`, at least 1.
    public static func powerOfTwoBlockSize(target: Double) -> UInt64 {
        guard target >= 2 else { return 1 }
        let clamped = min(target, Double(1 << 40))
        var size: UInt64 = 1
        while Double(size * 2) <= clamped { size *= 2 }
        return size
    }
}
