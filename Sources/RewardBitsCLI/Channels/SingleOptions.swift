import ArgumentParser
import RewardBits

/// The options of `single`: its model and the number of rollouts.
struct SingleOptions: ChannelOptions {
    static let estimateAbstract = "One rollout, one binary reward: I(S; T, r) <= 1 bit (exact: h(1/V) for a uniform prior)."
    static let exactAbstract = "Exact I(S; T, r) for one rollout."

    @Option(help: "Vocabulary size V >= 2 (up to 2^32 with uniform distributions).", transform: Count.parse)
    var vocab: Count

    @OptionGroup var distributions: DistributionOptions

    @Option(help: "Verifier noise: each reward flipped with this probability, in [0, 0.5].")
    var noise: Double = 0

    @Option(help: ArgumentHelp("pointwise (sample mean of the pointwise information), rb (Rao-Blackwellised) or plugin (model-free, from counts of (S, T, r); biased).",
                               valueName: "pointwise|rb|plugin"))
    var estimator: EstimatorKind = .pointwise

    @Option(help: "Number of rollouts N, e.g. 1e8, 100_000_000 or 2^27.", transform: Count.parse)
    var rollouts: Count?

    var sampleCount: Count? { rollouts }

    func channel(samples: UInt64) throws -> SingleChannel {
        try SingleChannel(
            vocabularySize: vocab.value,
            prior: distributions.prior,
            policy: distributions.policy,
            noise: noise,
            estimator: estimator,
            rollouts: samples)
    }
}

extension SingleChannel: CommandLineChannel {
    typealias Options = SingleOptions
}
