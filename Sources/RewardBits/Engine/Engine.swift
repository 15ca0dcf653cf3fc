import Dispatch
import Foundation

/// How a run draws and schedules its blocks.
public struct RunSettings: Sendable {
    public var seed: UInt64
    public var threads: Int
    /// Why `threads` is what it is, for the output: "--threads" when given,
    /// else where the default came from (`CPUAllowance.source`).
    public var threadsFrom: String = "given"
    public var generator: RandomGenerator
    public var confidence: Double
    /// Samples per block; nil lets the channel choose its default.
    public var blockSize: UInt64?
    public var showProgress: Bool
    /// With `showProgress`: one JSON object per line instead of a redrawn line
    /// (for programs that read stderr, e.g. the Python package's progress bar).
    public var progressAsJSON = false
    /// Stop once the interval is this narrow (the sample count is then a cap).
    public var stopping: SequentialStopping?
    /// Save and resume the run's merged statistics here.
    public var checkpointPath: String?
    /// Seconds between checkpoint saves.
    public var checkpointInterval: Double
    public var interrupt: InterruptFlag?
    /// Collect the distribution of per-sample values with this bin width (bits).
    public var histogramBinWidth: Double?
    /// The interval for estimates that are affine in a binomial count.
    public var countInterval: CountInterval = .blaker
    /// Which compiled copy of the kernels runs (never changes the numbers).
    public var instructionSet: InstructionSet = .active
    /// A shard that computes some blocks, or a merge that replays stored ones.
    public var partialRun: PartialRun?

    /// The kernels of `instructionSet`.
    public var kernels: any KernelFactory.Type { instructionSet.kernels }

    /// One channel's kernels in `instructionSet`, e.g.
    /// `settings.kernels(as: (any SingleKernelFactory.Type).self)`.
    public func kernels<Factory>(as factory: Factory.Type) -> Factory { instructionSet.kernels(as: factory) }

    public init(seed: UInt64 = 1, threads: Int = Engine.defaultThreads, generator: RandomGenerator = .philox,
                confidence: Double = 0.95, blockSize: UInt64? = nil, showProgress: Bool = false,
                stopping: SequentialStopping? = nil, checkpointPath: String? = nil, checkpointInterval: Double = 1,
                interrupt: InterruptFlag? = nil,
                histogramBinWidth: Double? = nil) {
        self.seed = seed
        self.threads = threads
        self.generator = generator
        self.confidence = confidence
        self.blockSize = blockSize
        self.showProgress = showProgress
        self.stopping = stopping
        self.checkpointPath = checkpointPath
        self.checkpointInterval = checkpointInterval
        self.interrupt = interrupt
        self.histogramBinWidth = histogramBinWidth
    }
}

/// The interval for estimates affine in a binomial count.
public enum CountInterval: String, Sendable, CaseIterable {
    /// Blaker's exact interval: coverage at least the level for every p,
    /// inside Clopper-Pearson (the default).
    case blaker
    /// Exact tails, each at (1 - level) / 2: coverage at least the level for
    /// every p, more conservative than Blaker's when successes are rare.
    case clopperPearson = "clopper-pearson"
    /// Stevens' randomized interval: coverage exactly the level for every p;
    /// its auxiliary uniform comes from its own stream of the run's seed.
    case randomized
}

extension RunSettings {
    /// The binomial interval the estimates use; the randomized one's uniform
    /// is the first 53 bits of the Philox stream (seed, block 2^64 - 3), a
    /// block index no run reaches.
    public var binomialInterval: Estimate.BinomialInterval {
        switch countInterval {
        case .blaker: return .blaker
        case .clopperPearson: return .clopperPearson
        case .randomized:
            var source = WordSource(PhiloxStream(StreamKey(seed: seed, block: UInt64.max - 2)))
            return .randomized(uniform: (Double(source.next64() >> 11) + 0.5) / 9007199254740992)
        }
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
    /// True when the stop rule ended the run before its last block.
    public var stoppedEarly: Bool
    /// Blocks taken from a checkpoint rather than computed in this process.
    public var resumedBlocks: UInt64
    /// With a stop rule: whether it holds for the final statistics (false
    /// when the sample cap came first).
    public var targetReached: Bool?
}

/// Runs a kernel over the blocks of a plan on `threads` workers.
///
/// Workers take block indices in increasing order from a shared counter and
/// run each on its own stream (seed, block index). Finished blocks wait in a
/// small window until every earlier block is done, then are merged in block
/// order; a worker pauses when the window is full, so memory is
/// O(threads x block) whatever the number of samples. The stop rule and the
/// checkpoints act at merge boundaries only, so neither depends on timing.
public enum Engine {
    /// The CPUs this process may run on (`CPUAllowance`), not the machine's.
    public static var defaultThreads: Int { CPUAllowance.current.count }

    public static func run<Statistics: SufficientStatistics>(
        _ kernel: any BlockKernel<Statistics>, plan: BlockPlan, settings: RunSettings,
        control: RunControl<Statistics> = RunControl(), unitsPerSample: Double = 1, unitName: String = "rollouts"
    ) throws -> RunOutcome<Statistics> {
        guard settings.threads >= 1 else {
            throw RewardBitsError.invalidInput("\(Parameter.threads) must be at least 1 (got \(settings.threads))")
        }
        guard plan.blockCount <= settings.generator.maximumBlocks else {
            throw RewardBitsError.invalidInput(
                "this run needs \(plan.blockCount) blocks but \(Parameter.generator) \(settings.generator) gives distinct streams to at most \(settings.generator.maximumBlocks); use \(Parameter.generator) philox or a larger \(Parameter.blockSize)")
        }
        var start = RunState<Statistics>(nextBlock: control.blockRange?.lowerBound ?? 0)
        if let checkpoint = control.checkpoint, control.blockRange == nil {
            try checkpoint.checkWritable()
            if let saved = try checkpoint.load(Statistics.self) {
                guard saved.nextBlock <= plan.blockCount else {
                    throw RewardBitsError.corruptCheckpoint(
                        "\(Parameter.checkpoint) \(checkpoint.path) is past the end of this run (block \(saved.nextBlock) of \(plan.blockCount))")
                }
                start = saved
            }
        }
        let progress = settings.showProgress
            ? ProgressLine(totalSamples: plan.totalSamples, unitsPerSample: unitsPerSample, unitName: unitName,
                           target: settings.stopping?.targetHalfWidth, json: settings.progressAsJSON) : nil
        let state = SchedulerState<Statistics>(plan: plan, window: settings.threads * 4, start: start,
                                                 control: control, progress: progress)
        let cpuStart = ProcessClock.cpuSeconds()
        let clockStart = DispatchTime.now()
        let generator = settings.generator
        let seed = settings.seed
        let workers = settings.threads

        let work: @Sendable (Int) -> Void = { _ in
            while let block = state.claim() {
                let samples = plan.samples(inBlock: block)
                let result = control.storedBlock?(block)
                    ?? kernel.run(block: block, samples: samples, stream: StreamKey(seed: seed, block: block),
                                  generator: generator)
                state.finish(block: block, samples: UInt64(samples), result: result)
            }
        }
        if !start.complete {
            if workers == 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers, execute: work)
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - clockStart.uptimeNanoseconds) / 1e9
        let final: RunState<Statistics>
        do {
            final = try state.finishRun()
        } catch {
            progress?.finish()
            throw error
        }
        progress?.finish(samples: final.samples, halfWidth: { control.halfWidth?(final.statistics, final.samples) })
        return RunOutcome(statistics: final.statistics, samples: final.samples, rollouts: final.rollouts,
                          blocks: final.nextBlock, seconds: seconds,
                          cpuSeconds: ProcessClock.cpuSeconds() - cpuStart,
                          stoppedEarly: final.nextBlock < plan.blockCount, resumedBlocks: start.nextBlock)
    }
}

/// The scheduler's shared state, guarded by one condition lock.
final class SchedulerState<Statistics: SufficientStatistics>: @unchecked Sendable {
    private let condition = NSCondition()
    private let plan: BlockPlan
    private let window: UInt64
    private let control: RunControl<Statistics>
    private let progress: ProgressLine?
    private var state: RunState<Statistics>
    /// Blocks at or beyond this are never merged (the stop rule lowers it).
    private var limit: UInt64
    private var nextToIssue: UInt64
    private var pending: [UInt64: (BlockResult<Statistics>, UInt64)] = [:]
    private var lastSave = Date()
    private var saveError: RewardBitsError?

    init(plan: BlockPlan, window: Int, start: RunState<Statistics>, control: RunControl<Statistics>,
         progress: ProgressLine?) {
        self.plan = plan
        self.window = UInt64(max(window, 2))
        self.control = control
        self.progress = progress
        state = start
        limit = start.complete ? start.nextBlock : min(control.blockRange?.upperBound ?? plan.blockCount, plan.blockCount)
        nextToIssue = start.nextBlock
    }

    private var stopping: Bool {
        saveError != nil || (control.interrupt?.isRaised ?? false)
    }

    /// The next block to run, or nil when there is nothing more to hand out.
    func claim() -> UInt64? {
        condition.lock()
        defer { condition.unlock() }
        while nextToIssue < limit && nextToIssue - state.nextBlock >= window && !stopping {
            condition.wait()
        }
        guard nextToIssue < limit, !stopping else { return nil }
        let block = nextToIssue
        nextToIssue += 1
        return block
    }

    func finish(block: UInt64, samples blockSamples: UInt64, result: BlockResult<Statistics>) {
        condition.lock()
        defer { condition.unlock() }
        pending[block] = (result, blockSamples)
        while state.nextBlock < limit, let (next, count) = pending.removeValue(forKey: state.nextBlock) {
            state.statistics.merge(next.statistics)
            state.samples += count
            state.rollouts += next.rollouts
            if let blockMerged = control.blockMerged {
                do {
                    try blockMerged(state.nextBlock, count, next)
                } catch {
                    saveError = error as? RewardBitsError ?? .cannotWrite("\(error)")
                    limit = state.nextBlock
                    break
                }
            }
            state.nextBlock += 1
            if let stopRule = control.stopRule, stopRule(state.statistics, state.samples) {
                limit = state.nextBlock
            }
        }
        if state.nextBlock >= limit { pending.removeAll() }
        if let checkpoint = control.checkpoint, Date().timeIntervalSince(lastSave) >= checkpoint.interval,
           state.nextBlock < limit {
            save(checkpoint)
        }
        progress?.update(samples: state.samples, halfWidth: { control.halfWidth?(state.statistics, state.samples) })
        condition.broadcast()
    }

    private func save(_ checkpoint: CheckpointFile) {
        do {
            try checkpoint.save(state)
        } catch let error as RewardBitsError {
            saveError = error
        } catch {
            saveError = .cannotWrite("\(Parameter.checkpoint) \(checkpoint.path): \(error)")
        }
        lastSave = Date()
    }

    /// Called once the workers are done: saves the final checkpoint and
    /// reports an interrupt or a failed save.
    func finishRun() throws -> RunState<Statistics> {
        condition.lock()
        defer { condition.unlock() }
        if let saveError { throw saveError }
        state.complete = state.nextBlock >= limit
        if let checkpoint = control.checkpoint {
            save(checkpoint)
            if let saveError { throw saveError }
        }
        if !state.complete, control.interrupt?.isRaised ?? false {
            let saved = control.checkpoint.map { "; checkpoint saved to \($0.path), rerun the same command to resume" } ?? ""
            throw RewardBitsError.interrupted(
                "interrupted after \(state.samples) of \(plan.totalSamples) samples\(saved)")
        }
        return state
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
