import ArgumentParser
import Foundation
import RewardBits

/// The output forms of an estimate.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv, latex
}

/// How progress is shown when asked for with --progress.
enum ProgressFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Options every estimate shares: randomness, parallelism, interval level and
/// output format.
struct CommonOptions: ParsableArguments {
    @Option(help: "Random seed of the run (0 ... 2^64-1). The same spec and random seed give the same numbers for any --threads.",
            transform: Count.parse)
    var seed: Count = Count(1)

    @Option(help: "Worker threads (default: the CPUs this process may use: its affinity mask, cgroup quota and SLURM_CPUS_PER_TASK). Never changes the result, only the speed.")
    var threads: Int?

    @Option(help: ArgumentHelp("Random generator: philox (SIMD Philox4x32-10) or gsl:NAME, e.g. gsl:mt19937.",
                               valueName: "philox|gsl:NAME"), transform: Parsed.generator)
    var rng: RandomGenerator = .philox

    @Option(help: "Confidence level of the interval, strictly between 0 and 1.")
    var confidence: Double = 0.95

    @Option(help: ArgumentHelp("""
        Interval for estimates affine in a binomial count (rare successes): blaker and clopper-pearson \
        cover at least the level for every p (Blaker's is inside Clopper-Pearson's and over-covers less \
        when successes are few); randomized (Stevens) covers exactly the level, using one extra uniform \
        drawn from the seed.
        """, valueName: "blaker|clopper-pearson|randomized"))
    var interval: CountInterval = .blaker

    @Option(name: .customLong("block-size"),
            help: "Samples per block (default: chosen per channel). Part of the spec: changing it changes the streams.",
            transform: Count.parse)
    var blockSize: Count?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Print a CSV header and one row.")
    var csv = false

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    @Option(help: ArgumentHelp("Output form: text (default), json, csv, or latex (one table row: channel & parameters & $estimate \\pm halfwidth$ & exact).",
                               valueName: "text|json|csv|latex"))
    var format: OutputFormat?

    @Option(help: ArgumentHelp("""
        Progress on stderr even when it is not a terminal: text (the redrawn line) or json (one object per \
        line: samples, total, units, halfwidth, target, seconds). A bare --progress means text.
        """, valueName: "text|json"))
    var progress: ProgressFormat?

    @Option(name: .customLong("target-halfwidth"),
            help: "Keep adding blocks until the CI half-width (bits) is at most this; the sample count becomes a cap.")
    var targetHalfWidth: Double?

    @Option(name: .customLong("max-samples"), help: "With --target-halfwidth: the most samples to draw (default: the sample count option, else 1e12).",
            transform: Count.parse)
    var maxSamples: Count?

    @Option(name: .customLong("min-samples"), help: "With --target-halfwidth: never stop with fewer samples.", transform: Count.parse)
    var minSamples: Count = Count(10_000)

    @Option(help: ArgumentHelp("Save the run's merged statistics here every second and at the end; rerunning the same command resumes from it.",
                               valueName: "file"))
    var checkpoint: String?

    @Option(name: .customLong("checkpoint-every"), help: "Seconds between checkpoint saves.")
    var checkpointEvery: Double = 1

    @Option(help: ArgumentHelp("Compute only shard I of N (0 <= I < N): blocks floor(I B/N) to floor((I+1) B/N) - 1 of the run's B blocks, written to --partial; `rewardbits merge` folds the parts into what one process prints.",
                               valueName: "I/N"))
    var shard: String?

    @Option(help: ArgumentHelp("With --shard: the file the shard's blocks go to (written atomically, at the end).", valueName: "file"))
    var partial: String?

    @Option(name: .customLong("block-range"),
            help: ArgumentHelp("With --shard: split only blocks A to B-1 among the N shards (the next range a merge asks for).",
                               valueName: "A..B"))
    var blockRange: String?

    @Flag(help: "Also report the distribution of per-sample values (the surprise of each sample, in bits, under the pointwise estimator).")
    var histogram = false

    @Option(name: .customLong("bin-width"), help: "Histogram bin width in bits (values taking few exact values are reported exactly).")
    var binWidth: Double = 0.0625

    /// The sample count to run: the channel's count option, or with
    /// --target-halfwidth the cap.
    func sampleCount(_ given: Count?, option: String) throws -> UInt64 {
        if targetHalfWidth != nil {
            return maxSamples?.value ?? given?.value ?? 1_000_000_000_000
        }
        guard let given else {
            throw RewardBitsError.invalidInput("missing \(option) N (the number of samples), or give --target-halfwidth H")
        }
        return given.value
    }

    func settings() throws -> RunSettings {
        try Validate.confidence(confidence)
        guard [json, csv, format != nil].filter({ $0 }).count <= 1 else {
            throw RewardBitsError.invalidInput("choose one of --json, --csv and --format")
        }
        let threadCount = threads ?? CPUAllowance.current.count
        guard threadCount >= 1, threadCount <= 4096 else {
            throw RewardBitsError.invalidInput("--threads must be between 1 and 4096 (got \(threadCount))")
        }
        var block: UInt64?
        if let blockSize {
            block = blockSize.value
            guard block! >= 1 else { throw RewardBitsError.invalidInput("--block-size must be at least 1") }
            // A block's sums (e.g. the token channel's products of counts up
            // to 2^16) are exact in 64 bits for up to 2^32 samples.
            guard block! <= 1 << 32 else {
                throw RewardBitsError.invalidInput("--block-size must be at most 2^32 (got \(block!)); e.g. --block-size 2^20")
            }
        }
        var stopping: SequentialStopping?
        if let targetHalfWidth {
            stopping = try SequentialStopping(targetHalfWidth: targetHalfWidth,
                                              minimumSamples: minSamples.value)
        } else if maxSamples != nil {
            throw RewardBitsError.invalidInput("--max-samples goes with --target-halfwidth")
        }
        if histogram {
            guard binWidth.isFinite, binWidth > 0 else {
                throw RewardBitsError.invalidInput("--bin-width must be a positive number of bits (got \(binWidth))")
            }
        }
        var interrupt: InterruptFlag?
        guard checkpointEvery.isFinite, checkpointEvery > 0 else {
            throw RewardBitsError.invalidInput("--checkpoint-every must be a positive number of seconds (got \(checkpointEvery))")
        }
        if let checkpoint {
            guard !checkpoint.isEmpty else { throw RewardBitsError.invalidInput("--checkpoint needs a file path") }
            interrupt = SignalTrap.installInterrupt()
        }
        var settings = RunSettings(seed: seed.value, threads: threadCount, generator: rng,
                           confidence: confidence, blockSize: block,
                           showProgress: !quiet && (progress != nil || isatty(STDERR_FILENO) != 0),
                           stopping: stopping, checkpointPath: checkpoint, checkpointInterval: checkpointEvery,
                           interrupt: interrupt,
                           histogramBinWidth: histogram ? binWidth : nil)
        settings.countInterval = interval
        settings.progressAsJSON = progress == .json
        settings.threadsFrom = threads == nil ? CPUAllowance.current.source : "--threads"
        return settings
    }

    /// The shard to compute, when --shard is given.
    func shardRequest() throws -> ShardRequest? {
        guard let shard else {
            if partial != nil { throw RewardBitsError.invalidInput("--partial goes with --shard I/N") }
            if blockRange != nil { throw RewardBitsError.invalidInput("--block-range goes with --shard I/N") }
            return nil
        }
        let words = shard.split(separator: "/", omittingEmptySubsequences: false)
        guard words.count == 2, let index = UInt64(words[0]), let count = UInt64(words[1]) else {
            throw RewardBitsError.invalidInput("--shard takes I/N, shard I of N counted from 0 (got '\(shard)'); e.g. --shard 0/8")
        }
        var window: Range<UInt64>?
        if let blockRange {
            let ends = blockRange.components(separatedBy: "..")
            guard ends.count == 2, let a = UInt64(ends[0]), let b = UInt64(ends[1]) else {
                throw RewardBitsError.invalidInput("--block-range takes A..B, blocks A to B-1 (got '\(blockRange)'); e.g. --block-range 0..1000")
            }
            guard a < b else { throw RewardBitsError.invalidInput("--block-range A..B needs A < B (got \(blockRange))") }
            window = a..<b
        }
        guard let partial, !partial.isEmpty else {
            throw RewardBitsError.invalidInput("--shard needs --partial FILE, the file its blocks go to")
        }
        guard targetHalfWidth == nil else {
            throw RewardBitsError.invalidInput(
                "--shard runs a fixed share of the blocks: leave --target-halfwidth out and give it to the merge (rewardbits merge --target-halfwidth H PARTS...)")
        }
        return ShardRequest(shard: try ShardSelection(index: index, count: count, window: window), partial: partial,
                            checkpoint: checkpoint, checkpointEvery: checkpointEvery, json: json)
    }

    func print(_ result: ChannelResult) {
        let json = self.json || format == .json, csv = self.csv || format == .csv
        for warning in result.allWarnings where !json {
            FileHandle.standardError.write(Data("rewardbits: warning: \(warning)\n".utf8))
        }
        if format == .latex {
            Swift.print(result.latexRow)
        } else if json {
            Swift.print(result.json.serialized())
        } else if csv {
            if histogram, let h = result.histogram {
                Swift.print(h.csv)
            } else {
                Swift.print(CSV.table([result.csvColumns]))
            }
        } else {
            Swift.print(result.summary)
            if let h = result.histogram { Swift.print(h.text) }
        }
    }
}
