import ArgumentParser
import Foundation
import RewardBits

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Regenerate the seed's figures (and more) with error bars, exact curves and the CSV behind each.",
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
        Total signal = problems x samples x bits per rollout, either given (--bits-per-rollout) or \
        measured by the engine (--measure CHANNEL followed by that channel's estimate options; a \
        group's bits per prompt are divided by its K). LoRA parameters count rank r adapters on all \
        seven linear maps (q, k, v, o, gate, up, down) of every layer.

        Examples:
          rewardbits budget --model llama-3.1-8b --rank 1 --problems 10000 --samples 32 \\
              --bits-per-rollout 1
          rewardbits budget --model qwen2.5-7b --rank 8 --problems 1e4 --samples 32 \\
              --measure group --vocab 1024 --group 32 --prompts 1e6
        """)

    @Option(help: ArgumentHelp("Model shape.", valueName: "llama-3.1-8b|qwen2.5-7b|llama-3.2-1b|custom"))
    var model: String = "llama-3.1-8b"
    @Option(help: "LoRA rank r.") var rank: Int = 1
    @Option(help: "Training problems.") var problems: String = "10000"
    @Option(help: "Samples (rollouts) per problem.") var samples: String = "32"
    @Option(name: .customLong("bits-per-rollout"), help: "Bits of signal per rollout (default 1, the one-bit bound).")
    var bitsPerRollout: Double?
    @Option(help: ArgumentHelp("Measure bits per rollout with this channel; its estimate options follow.",
                               valueName: "single|group|token|sft"))
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
            let command: EstimateSubcommand.Type
            switch measure {
            case "single": command = EstimateSingle.self
            case "group": command = EstimateGroup.self
            case "token": command = EstimateToken.self
            case "sft": command = EstimateSFT.self
            default: throw RewardBitsError.invalidInput("--measure must be single, group, token or sft (got '\(measure)')")
            }
            let parsed: ParsableCommand
            do { parsed = try command.parse(channelOptions + ["--quiet"]) } catch {
                throw RewardBitsError.invalidInput("--measure \(measure): \(RewardBitsCommand.message(for: error).split(whereSeparator: \.isNewline).first ?? "")")
            }
            let result = try (parsed as! EstimateSubcommand).result()
            perRollout = result.estimate
            source = "measured: \(measure) \(result.estimator)"
            if result.channel == "group", let k = result.parameters.first(where: { $0.0 == "group" })?.1, case .integer(let size) = k {
                let scale = 1 / Double(size)
                perRollout.value *= scale
                perRollout.low *= scale
                perRollout.high *= scale
                perRollout.standardError *= scale
                source += ", bits per prompt / K = \(size)"
            }
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
