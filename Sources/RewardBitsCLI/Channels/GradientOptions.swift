import ArgumentParser
import RewardBits

/// The options of `gradient`: the policy, the advantage and the number of prompts.
struct GradientOptions: ChannelOptions {
    static let estimateAbstract = "What the policy-gradient update g carries: I(S; g), I(S; g | T), I(S; (T, r)), lost, I(g; T)."
    static let exactAbstract = "Exact informations of the update (small V and K, noiseless closed forms, per-token)."

    @Option(help: "Vocabulary size V >= 2 (not with --advantage per-token).", transform: Count.parse)
    var vocab: Count?

    @Option(help: "Rollouts per prompt K (1 ... 64).", transform: Count.parse)
    var group: Count

    @OptionGroup var distributions: DistributionOptions

    @Option(help: ArgumentHelp("""
        How the update weighs the rollouts: reinforce (A = r - b, fixed baseline --baseline), rloo (leave-one-out \
        mean), grpo (group mean and standard deviation; 0 when all rewards are equal) or per-token (rollouts of \
        --length binary tokens, each token's reward its advantage).
        """, valueName: "reinforce|rloo|grpo|per-token"))
    var advantage: Advantage

    @Option(help: "The fixed baseline b of --advantage reinforce.")
    var baseline: Double = 0

    @Option(help: "Tokens per rollout T with --advantage per-token (1 ... 65536).", transform: Count.parse)
    var length: Count?

    @Option(name: .customLong("target-bias"), help: "P(target bit = 1) with --advantage per-token, in [0, 1].")
    var targetBias: Double = 0.5

    @Option(help: "Verifier noise: each reward flipped with this probability, in [0, 0.5].")
    var noise: Double = 0

    @Option(help: "Number of prompts N (each draws K rollouts), e.g. 1e5.", transform: Count.parse)
    var prompts: Count?

    var sampleCount: Count? { prompts }

    func channel(samples: UInt64) throws -> GradientChannel {
        if advantage == .perToken {
            guard vocab == nil else {
                throw RewardBitsError.invalidInput("--advantage per-token draws binary tokens: drop --vocab and give --length")
            }
            guard let length else {
                throw RewardBitsError.invalidInput("--advantage per-token needs --length T, e.g. --length 16")
            }
            return try GradientChannel(groupSize: try group.int(option: "--group"), prompts: samples, noise: noise,
                                       advantage: advantage, length: try length.int(option: "--length"), targetBias: targetBias)
        }
        guard let vocab else {
            throw RewardBitsError.invalidInput("--advantage \(advantage.rawValue) needs --vocab V, e.g. --vocab 64")
        }
        return try GradientChannel(
            vocabularySize: vocab.value, groupSize: try group.int(option: "--group"), prompts: samples,
            prior: distributions.prior, policy: distributions.policy, noise: noise, advantage: advantage,
            baseline: baseline, length: try length.map { try $0.int(option: "--length") } ?? 1, targetBias: targetBias)
    }
}

extension GradientChannel: CommandLineChannel {
    typealias Options = GradientOptions
}
