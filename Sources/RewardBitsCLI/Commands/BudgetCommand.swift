import ArgumentParser
import Foundation
import RewardBits

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
    @Option(help: "Training problems.", transform: Count.parse) var problems: Count = Count(10_000)
    @Option(help: "Samples (rollouts) per problem.", transform: Count.parse) var samples: Count = Count(32)
    @Option(name: .customLong("bits-per-rollout"), help: "Bits of signal per rollout (default 1, the one-bit bound).")
    var bitsPerRollout: Double?
    @Option(help: ArgumentHelp("Measure a problem's --samples rollouts together with this channel's model (as a group of K = --samples); its estimate options follow.",
                               valueName: CommandRegistry.channels.filter { $0.measuresProblems }.map { $0.name }.joined(separator: "|")))
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
    /// measured channel's `problemChannel` (for `single` and `group`, the
    /// group channel at K = --samples).
    func measureProblem(_ measure: String, samples: UInt64) throws -> ChannelResult {
        guard samples <= UInt64(GroupChannel.maximumGroupSize) else {
            throw RewardBitsError.invalidInput("--measure takes --samples up to 2^20 = \(GroupChannel.maximumGroupSize) (got \(samples))")
        }
        guard let registered = CommandRegistry.channel(named: measure) else {
            throw RewardBitsError.invalidInput("--measure must be one of \(CommandRegistry.namesInWords) (got '\(measure)')")
        }
        guard registered.measuresProblems else {
            let measurable = CommandRegistry.channels.filter { $0.measuresProblems }.map { $0.name }
            throw RewardBitsError.invalidInput(
                "--measure \(measure): a problem's --samples rollouts must be measured together, which only \(measurable.joined(separator: " and ")) do; give --bits-per-rollout instead")
        }
        var arguments = channelOptions
        // The problem's size option (--group) is --samples: set it when absent;
        // the channel refuses another value.
        if let option = registered.problemSizeOption, !arguments.contains(option) {
            arguments += [option, String(samples)]
        }
        let parsed: any EstimateSubcommand
        do {
            parsed = try registered.estimateCommand.parse(arguments + ["--quiet"])
        } catch {
            throw RewardBitsError.invalidInput("--measure \(measure): \(RewardBitsCommand.message(for: error).split(whereSeparator: \.isNewline).first ?? "")")
        }
        guard let problem = try parsed.channel().problemChannel(samplesPerProblem: Int(samples)) else {
            fatalError("\(measure) measures problems but gave no problem channel")
        }
        return try problem.run(settings: try parsed.common.settings())
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
        let problemCount = problems.value
        let sampleCount = samples.value
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
