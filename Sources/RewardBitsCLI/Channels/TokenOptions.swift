import ArgumentParser
import RewardBits

/// The options of `token`: its model and the number of episodes.
struct TokenOptions: ChannelOptions {
    static let estimateAbstract = "Per-token, checkpoint, sum or graded rewards over T tokens (per-token: up to T bits)."
    static let exactAbstract = "Exact information of per-token rewards."

    @Option(help: "Tokens per episode T (1 ... 65536).", transform: Count.parse)
    var length: Count

    @Option(name: .customLong("target-bias"), help: "P(target bit s_t = 1), in [0, 1].")
    var targetBias: Double = 0.5

    @Option(help: "Verifier noise: each per-token reward flipped with this probability (before any aggregation), in [0, 0.5].")
    var noise: Double = 0

    @Option(help: ArgumentHelp("""
        What the verifier returns: every R_t; one reward per C-token checkpoint (the last one shorter when C does \
        not divide T); their sum (limited by forgetting which tokens were right, not by being one number); or the \
        sum graded to 2^B levels, on a fixed grid over [0, T] (graded:B, which loses information as T grows) or at \
        the sum's quantiles (graded:B:quantile, up to min(B, H(sum)) bits).
        """, valueName: "per-token|checkpoint:C|sum|graded:B|graded:B:quantile"), transform: Parsed.reward)
    var reward: TokenReward = .perToken

    @Option(help: ArgumentHelp("pointwise or plugin (model-free, from counts of (s, x, reward); T <= 8).", valueName: "pointwise|plugin"))
    var estimator: EstimatorKind = .pointwise

    @Option(help: "Number of episodes N, e.g. 1e6.", transform: Count.parse)
    var episodes: Count?

    var sampleCount: Count? { episodes }

    func channel(samples: UInt64) throws -> TokenChannel {
        try TokenChannel(length: try length.int(option: "--length"), episodes: samples,
                         targetBias: targetBias, noise: noise, reward: reward,
                         estimator: estimator)
    }
}

extension TokenChannel: CommandLineChannel {
    typealias Options = TokenOptions
}
