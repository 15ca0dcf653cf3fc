import ArgumentParser
import RewardBits

/// The options of `sft`: its model and the number of positive examples.
struct SFTOptions: ChannelOptions {
    static let estimateAbstract = "A positive example: log2(1/alpha) bits from an expert, H(q)/E[L] bits per rollout when filtered."
    static let exactAbstract = "Exact information of a positive example."

    @Option(help: "Vocabulary size V >= 2.", transform: Count.parse)
    var vocab: Count

    @Option(help: ArgumentHelp("filtered: rollouts drawn until one equals S (bits per sampled rollout); expert: a free positive from the good set.",
                               valueName: "filtered|expert"))
    var mode: SFTChannel.Mode = .filtered

    @Option(help: "Expert mode: prior mass of the good set, e.g. 0.0625 or 1/16; alpha * V must be a positive integer (default 1/V).",
            transform: Fraction.parse)
    var alpha: Double?

    @Option(help: ArgumentHelp("Prior q of the answer S.", valueName: "uniform|zipf:S|file:PATH"), transform: Parsed.distribution)
    var prior: DistributionSpec = .uniform

    @Option(help: ArgumentHelp("Policy pi of the rollouts (filtered mode).", valueName: "uniform|zipf:S|file:PATH"), transform: Parsed.distribution)
    var policy: DistributionSpec = .uniform

    @Option(help: "Number of positive examples N, e.g. 1e5.", transform: Count.parse)
    var positives: Count?

    var sampleCount: Count? { positives }

    func channel(samples: UInt64) throws -> SFTChannel {
        try SFTChannel(
            vocabularySize: vocab.value, positives: samples, mode: mode, alpha: alpha,
            prior: prior,
            policy: policy)
    }
}

extension SFTChannel: CommandLineChannel {
    typealias Options = SFTOptions
}
