import ArgumentParser
import RewardBits

/// The options of `group`: its model and the number of prompts.
struct GroupOptions: ChannelOptions {
    static let estimateAbstract = "K rollouts per prompt (GRPO/RLOO): E[H(r | T_1..T_K)] <= E[log2(M+1)] <= log2(K+1)."
    static let exactAbstract = "Exact E[I] for K rollouts per prompt (uniform, or small V)."
    static let problemSizeOption: String? = "--group"

    @Option(help: "Vocabulary size V >= 2.", transform: Count.parse)
    var vocab: Count

    @Option(help: "Rollouts per prompt K >= 1.", transform: Count.parse)
    var group: Count

    @OptionGroup var distributions: DistributionOptions

    @Option(help: ArgumentHelp("rb (H(r | T_1..T_K) per prompt, low variance) or pointwise.", valueName: "rb|pointwise"))
    var estimator: EstimatorKind = .rb

    @Option(help: "Verifier noise: each of the K rewards flipped with this probability, in [0, 0.5].")
    var noise: Double = 0

    @Option(help: "Number of prompts N (each draws K rollouts), e.g. 1e7.", transform: Count.parse)
    var prompts: Count?

    var sampleCount: Count? { prompts }

    func channel(samples: UInt64) throws -> GroupChannel {
        try GroupChannel(
            vocabularySize: vocab.value,
            groupSize: try group.int(option: "--group"),
            prompts: samples,
            prior: distributions.prior,
            policy: distributions.policy,
            estimator: estimator,
            noise: noise)
    }
}

extension GroupChannel: CommandLineChannel {
    typealias Options = GroupOptions
}
