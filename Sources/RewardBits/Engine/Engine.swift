import Dispatch
import Foundation

/// How a run draws and schedules its blocks.
public struct RunSettings: Sendable {
    public var seed: UInt64
    public var threads: Int
    public var generator: RandomGenerator
    public var confidence: Double
    /// Samples per block; nil lets the channel choose its default.
    public var blockSize: UInt64?
    public var showProgress: Bool

    public init(seed: UInt64 = 1, threads: Int = Engine.defaultThreads, generator: RandomGenerator = .philox,
                confidence: Double = 0.95, blockSize: UInt64? = nil, showProgress: Bool = false) {
        self.seed = seed
        self.threads = threads
        self.generator = generator
        self.confidence = confidence
        self.blockSize = blockSize
        self.showProgress = showProgress
    }
}

/// The merged outcome of all blocks of a run.
public struct RunOutcome<Statistics: SufficientStatistics>: Sendable {
    public var statistics: Statistics
    public var samples: UInt64
    public var rollouts: UInt64
    public var blocks: UInt64
    public var seconds: Double
    /// CPU seconds of the whole process during the run (user + system).
    public var cpuSeconds: Double
}

/// Runs a kernel over the blocks of a plan on `threads` workers.
///
/// Workers take block indices in increasing order from a shared counter and
/// run each on its own stream (seed, block index). Finished blocks wait in a
/// small window until every earlier block is done, then are merged in block
/// order; a worker pauses when the window is full, so memory is
/// O(threads x block) whatever the number of samples.
public enum Engine {
    public static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    public static func run<K: BlockKernel>(
        _ kernel: K, plan: BlockPlan, settings: RunSettings, unitsPerSample: Double = 1,
        unitName: String = "rollouts"
    ) throws -> RunOutcome<K.Statistics> {
        guard settings.threads >= 1 else {
            throw RewardBitsError.invalidInput("--threads must be at least 1 (got \(settings.threads))")
        }
        guard plan.blockCount <= settings.generator.maximumBlocks else {
            throw RewardBitsError.invalidInput(
                "this run needs \(plan.blockCount) blocks but --rng \(settings.generator) gives distinct streams to at most \(settings.generator.maximumBlocks); use --rng philox or a larger --block-size")
        }
        let progress = settings.showProgress
            ? ProgressLine(totalSamples: plan.totalSamples, unitsPerSample: unitsPerSample, unitName: unitName) : nil
        let state = SchedulerState<K.Statistics>(plan: plan, window: settings.threads * 4, progress: progress)
        let cpuStart = ProcessClock.cpuSeconds()
        let start = DispatchTime.now()
        let generator = settings.generator
        let seed = settings.seed
        let workers = settings.threads

        let work: @Sendable (Int) -> Void = { _ in
            while let block = state.claim() {
                let key = StreamKey(seed: seed, block: block)
                let samples = plan.samples(inBlock: block)
                let result: BlockResult<K.Statistics>
                switch generator {
                case .philox:
                    var source = WordSource(PhiloxStream(key))
                    result = kernel.run(samples: samples, source: &source)
                case .gsl(let type):
                    var source = WordSource(GSLStream(type: type, key: key))
                    result = kernel.run(samples: samples, source: &source)
                }
                state.finish(block: block, samples: UInt64(samples), result: result)
            }
        }
        if workers == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        progress?.finish()
        let (statistics, samples, rollouts, blocks) = state.result()
        return RunOutcome(statistics: statistics, samples: samples, rollouts: rollouts, blocks: blocks,
                          seconds: seconds, cpuSeconds: ProcessClock.cpuSeconds() - cpuStart)
    }
}

/// The scheduler's shared state, guarded by one condition lock.
final class SchedulerState<Statistics: SufficientStatistics>: @unchecked Sendable {
    private let condition = NSCondition()
    private let plan: BlockPlan
    private let window: UInt64
    private let progress: ProgressLine?
    private var nextToIssue: UInt64 = 0
    private var nextToMerge: UInt64 = 0
    private var pending: [UInt64: (BlockResult<Statistics>, UInt64)] = [:]
    private var merged = Statistics()
    private var samples: UInt64 = 0
    private var rollouts: UInt64 = 0

    init(plan: BlockPlan, window: Int, progress: ProgressLine?) {
        self.plan = plan
        self.window = UInt64(max(window, 2))
        self.progress = progress
    }

    /// The next block to run, or nil when every block has been handed out.
    func claim() -> UInt64? {
        condition.lock()
        defer { condition.unlock() }
        while nextToIssue < plan.blockCount && nextToIssue - nextToMerge >= window {
            condition.wait()
        }
        guard nextToIssue < plan.blockCount else { return nil }
        let block = nextToIssue
        nextToIssue += 1
        return block
    }

    func finish(block: UInt64, samples blockSamples: UInt64, result: BlockResult<Statistics>) {
        condition.lock()
        defer { condition.unlock() }
        pending[block] = (result, blockSamples)
        while let (next, count) = pending.removeValue(forKey: nextToMerge) {
            merged.merge(next.statistics)
            samples += count
            rollouts += next.rollouts
            nextToMerge += 1
        }
        progress?.update(samples: samples)
        condition.broadcast()
    }

    func result() -> (Statistics, UInt64, UInt64, UInt64) {
        condition.lock()
        defer { condition.unlock() }
        return (merged, samples, rollouts, nextToMerge)
    }
}

/// Process CPU time, for throughput per CPU-second on shared machines.
public enum ProcessClock {
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }
}
