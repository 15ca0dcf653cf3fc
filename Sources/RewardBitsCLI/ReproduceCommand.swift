import ArgumentParser
import Foundation
import RewardBits

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Regenerate the figures of J. Hernandez's post on RL vs. SFT bits (and more) with error bars, exact curves and the CSV behind each.",
        discussion: """
        Writes to --out (default ./figures): Fig. 5 (one binary reward vs V), Fig. 6 (a group of K \
        rollouts vs K), Fig. 7 (per-token rewards vs T, with noisy verifiers), an SFT figure (expert vs \
        filtered positives), and two figures beyond the seed (Zipf policies; per-token, checkpoint, sum \
        and graded rewards). Each comes with NAME.csv (every plotted point: estimate, stderr, ci_low, \
        ci_high, exact, z, seed, sample counts), NAME.gp (the gnuplot script) and index.md.
        """)

    @Option(help: "Output folder.")
    var out: String = "figures"

    @Option(help: ArgumentHelp("Image format (default: png and svg).", valueName: "png|svg|pdf"))
    var format: String?

    @Flag(help: "Fewer samples per point (a few seconds); still informative.")
    var quick = false

    @Option(help: "Seed of the run; each point's own seed is derived from it and written to the CSV.")
    var seed: String = "1"

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    func run() throws {
        var formats: [FigureFormat] = [.png, .svg]
        if let format {
            guard let f = FigureFormat(rawValue: format) else {
                throw RewardBitsError.invalidInput("--format must be png, svg or pdf (got '\(format)')")
            }
            formats = [f]
        }
        let threadCount = threads ?? Engine.defaultThreads
        guard threadCount >= 1 else { throw RewardBitsError.invalidInput("--threads must be at least 1 (got \(threadCount))") }
        let quiet = self.quiet
        let options = Reproduce.Options(
            directory: URL(fileURLWithPath: out, isDirectory: true), formats: formats, quick: quick,
            seed: try Parse.count(seed, option: "--seed"), threads: threadCount,
            log: { message in
                if !quiet { FileHandle.standardError.write(Data("rewardbits: \(message)\n".utf8)) }
            })
        let report = try Reproduce.run(options)
        if let note = report.note { FileHandle.standardError.write(Data("rewardbits: \(note)\n".utf8)) }
        print("wrote \(report.files.count) files to \(out)/ (see \(out)/index.md)")
    }
}

struct BudgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "The information budget of an RL run against LoRA capacity.",
        discussion: """
        Total signal = problems x samples x bits per rollout, given (--bits-per-rollout), or \
        problems x the bits of one problem measured by the engine (--measure single|group followed \
        by that channel's model options): the --samples rollouts of a problem are measured together \
        as one group of K = --samples, so repeats count once and the total never exceeds problems x \
        H(S). The count option (--rollouts or --prompts) sets how many problems are simulated. LoRA \
        parameters count rank r adapters on all seven linear maps (q, k, v, o, gate, up, down) of \
        every layer. The capacity of ~2 bits per parameter is a knowledge-storage measurement from \
        pre-training (Allen-Zhu & Li 2024), not an RL result.

        Examples:
          rewardbits budget --model llama-3.1-8b --rank 1 --problems 10000 --samples 32 \\
              --bits-per-rollout 1
          rewardbits budget --model qwen2.5-7b --rank 8 --problems 1e4 --samples 32 \\
              --measure group --vocab 1024 --prompts 1e6
        """)

    @Option(help: ArgumentHelp("Model shape.", valueName: "llama-3.1-8b|qwen2.5-7b|llama-3.2-1b|custom"))
    var model: String = "llama-3.1-8b"
    @Option(help: "LoRA rank r.") var rank: Int = 1
    @Option(help: "Training problems.") var problems: String = "10000"
    @Option(help: "Samples (rollouts) per problem.") var samples: String = "32"
    @Option(name: .customLong("bits-per-rollout"), help: "Bits of signal per rollout (default 1, the one-bit bound).")
    var bitsPerRollout: Double?
    @Option(help: ArgumentHelp("Measure a problem's --samples rollouts together with this channel's model (as a group of K = --samples); its estimate options follow.",
                               valueName: "single|group"))
    var measure: String?
    @Option(help: "Assumed storage capacity, bits per parameter.") var capacity: Double = LoRABudget.defaultCapacityBitsPerParameter
    @Option(help: "custom: layers.") var layers: Int?
    @Option(help: "custom: hidden size.") var hidden: Int?
    @Option(help: "custom: MLP intermediate size.") var intermediate: Int?
    @Option(help: "custom: attention heads.") var heads: Int?
    @Option(name: .customLong("kv-heads"), help: "custom: key/value heads.") var kvHeads: Int?
    @Option(name: .customLong("head-dim"), help: "custom: head dimension.") var headDim: Int?
    @Flag(help: "Print one JSON object.") var json = false
    @Argument(parsing: .allUnrecognized, help: "With --measure: that channel's estimate options.")
    var channelOptions: [String] = []

    /// The information of one problem's --samples rollouts together: the
    /// group channel at K = --samples, with the model options of `single` or
    /// `group`.
    func measureProblem(_ measure: String, samples: UInt64) throws -> ChannelResult {
        guard samples <= UInt64(GroupChannel.maximumGroupSize) else {
            throw RewardBitsError.invalidInput("--measure takes --samples up to 2^20 = \(GroupChannel.maximumGroupSize) (got \(samples))")
        }
        func parse<C: ParsableCommand>(_ command: C.Type, _ arguments: [String]) throws -> C {
            do { return try command.parse(arguments + ["--quiet"]) } catch {
                throw RewardBitsError.invalidInput("--measure \(measure): \(RewardBitsCommand.message(for: error).split(whereSeparator: \.isNewline).first ?? "")")
            }
        }
        switch measure {
        case "single":
            let parsed = try parse(EstimateSingle.self, channelOptions)
            let model = parsed.model
            let estimator = try parseEstimator(model.estimator, allowed: [.pointwise, .rb])
            let channel = try GroupChannel(
                vocabularySize: try Parse.count(model.vocab, option: "--vocab"), groupSize: Int(samples),
                prompts: try parsed.common.sampleCount(parsed.rollouts, option: "--rollouts"),
                prior: try parseDistribution(model.prior, option: "--prior"),
                policy: try parseDistribution(model.policy, option: "--policy"), estimator: estimator, noise: model.noise)
            return try channel.run(settings: try parsed.common.settings())
        case "group":
            var arguments = channelOptions
            if let at = arguments.firstIndex(of: "--group") {
                let given = at + 1 < arguments.count ? arguments[at + 1] : ""
                guard (try? Parse.count(given, option: "--group")) == samples else {
                    throw RewardBitsError.invalidInput(
                        "--measure group measures the --samples \(samples) rollouts of a problem together: drop --group \(given) (or give --group \(samples))")
                }
            } else {
                arguments += ["--group", String(samples)]
            }
            return try parse(EstimateGroup.self, arguments).result()
        case "token", "sft":
            throw RewardBitsError.invalidInput(
                "--measure \(measure): a problem's --samples rollouts must be measured together, which only single and group do; give --bits-per-rollout instead")
        default:
            throw RewardBitsError.invalidInput("--measure must be single or group (got '\(measure)')")
        }
    }

    func shape() throws -> ModelShape {
        if model == "custom" {
            guard let layers, let hidden, let intermediate, let heads else {
                throw RewardBitsError.invalidInput("--model custom needs --layers, --hidden, --intermediate and --heads (and optionally --kv-heads, --head-dim)")
            }
            return ModelShape(name: "custom", layers: layers, hidden: hidden, intermediate: intermediate, heads: heads,
                              kvHeads: kvHeads ?? heads, headDim: headDim ?? (heads > 0 ? hidden / heads : 0))
        }
        guard let preset = ModelShape.presets.first(where: { $0.name == model }) else {
            throw RewardBitsError.invalidInput(
                "--model must be \(ModelShape.presets.map(\.name).joined(separator: ", ")) or custom (got '\(model)')")
        }
        return preset
    }

    func run() throws {
        let problemCount = try Parse.count(problems, option: "--problems")
        let sampleCount = try Parse.count(samples, option: "--samples")
        var perRollout: Estimate
        var source: String
        if let measure {
            guard bitsPerRollout == nil else {
                throw RewardBitsError.invalidInput("give either --bits-per-rollout or --measure, not both")
            }
            let result = try measureProblem(measure, samples: sampleCount)
            // The samples of a problem are measured together, as one group of
            // K = --samples rollouts: bits per problem, never bits per
            // rollout times samples (duplicates carry nothing new).
            let scale = 1 / Double(sampleCount)
            perRollout = result.estimate
            perRollout.value *= scale
            perRollout.low *= scale
            perRollout.high *= scale
            perRollout.standardError *= scale
            source = "measured: the \(sampleCount) samples of a problem as one group, \(result.estimator), bits per problem / \(sampleCount)"
        } else {
            guard channelOptions.isEmpty else {
                throw RewardBitsError.invalidInput("unexpected arguments \(channelOptions.joined(separator: " ")); channel options go after --measure CHANNEL")
            }
            let bits = bitsPerRollout ?? 1
            guard bits.isFinite, bits > 0 else {
                throw RewardBitsError.invalidInput("--bits-per-rollout must be a positive number (got \(bits))")
            }
            perRollout = Estimate(value: bits, standardError: 0, low: bits, high: bits, level: 0.95, method: .zeroVariance, samples: 0)
            source = bitsPerRollout == nil ? "the one-bit bound" : "given"
        }
        let budget = try LoRABudget(model: try shape(), rank: rank, problems: problemCount, samples: sampleCount,
                                    bitsPerRollout: perRollout, bitsPerRolloutSource: source,
                                    capacityBitsPerParameter: capacity)
        print(json ? budget.json.serialized() : budget.summary)
    }
}
