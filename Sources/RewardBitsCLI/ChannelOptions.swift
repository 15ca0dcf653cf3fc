import ArgumentParser
import RewardBits

/// The model of `single` (everything but the sample count).
struct SingleModelOptions: ParsableArguments {
    @Option(help: "Vocabulary size V >= 2 (up to 2^32 with uniform distributions).")
    var vocab: String

    @Option(help: ArgumentHelp("Prior q of the answer S.", valueName: "uniform|zipf:S|file:PATH"))
    var prior: String = "uniform"

    @Option(help: ArgumentHelp("Policy pi of the rollouts.", valueName: "uniform|zipf:S|file:PATH"))
    var policy: String = "uniform"

    @Option(help: "Verifier noise: each reward flipped with this probability, in [0, 0.5].")
    var noise: Double = 0

    @Option(help: ArgumentHelp("pointwise (sample mean of the pointwise information), rb (Rao-Blackwellised) or plugin (model-free, from counts of (S, T, r); biased).",
                               valueName: "pointwise|rb|plugin"))
    var estimator: String = "pointwise"

    func channel(rollouts: UInt64) throws -> SingleChannel {
        try SingleChannel(
            vocabularySize: try Parse.count(vocab, option: "--vocab"),
            prior: try parseDistribution(prior, option: "--prior"),
            policy: try parseDistribution(policy, option: "--policy"),
            noise: noise,
            estimator: try parseEstimator(estimator, allowed: [.pointwise, .rb, .plugin]),
            rollouts: rollouts)
    }
}

struct GroupModelOptions: ParsableArguments {
    @Option(help: "Vocabulary size V >= 2.")
    var vocab: String

    @Option(help: "Rollouts per prompt K >= 1.")
    var group: String

    @Option(help: ArgumentHelp("Prior q of the answer S.", valueName: "uniform|zipf:S|file:PATH"))
    var prior: String = "uniform"

    @Option(help: ArgumentHelp("Policy pi of the rollouts.", valueName: "uniform|zipf:S|file:PATH"))
    var policy: String = "uniform"

    @Option(help: ArgumentHelp("rb (H(r | T_1..T_K) per prompt, low variance) or pointwise.", valueName: "rb|pointwise"))
    var estimator: String = "rb"

    @Option(help: "Verifier noise: each of the K rewards flipped with this probability, in [0, 0.5].")
    var noise: Double = 0

    func channel(prompts: UInt64) throws -> GroupChannel {
        try GroupChannel(
            vocabularySize: try Parse.count(vocab, option: "--vocab"),
            groupSize: try parseInt(group, option: "--group"),
            prompts: prompts,
            prior: try parseDistribution(prior, option: "--prior"),
            policy: try parseDistribution(policy, option: "--policy"),
            estimator: try parseEstimator(estimator, allowed: [.rb, .pointwise]),
            noise: noise)
    }
}

struct TokenModelOptions: ParsableArguments {
    @Option(help: "Tokens per episode T (1 ... 65536).")
    var length: String

    @Option(name: .customLong("target-bias"), help: "P(target bit s_t = 1), in [0, 1].")
    var targetBias: Double = 0.5

    @Option(help: "Verifier noise: each per-token reward flipped with this probability (before any aggregation), in [0, 0.5].")
    var noise: Double = 0

    @Option(help: ArgumentHelp("""
        What the verifier returns: every R_t; one reward per C-token checkpoint (the last one shorter when C does \
        not divide T); their sum (limited by forgetting which tokens were right, not by being one number); or the \
        sum graded to 2^B levels, on a fixed grid over [0, T] (graded:B, which loses information as T grows) or at \
        the sum's quantiles (graded:B:quantile, up to min(B, H(sum)) bits).
        """, valueName: "per-token|checkpoint:C|sum|graded:B|graded:B:quantile"))
    var reward: String = "per-token"

    @Option(help: ArgumentHelp("pointwise or plugin (model-free, from counts of (s, x, reward); T <= 8).", valueName: "pointwise|plugin"))
    var estimator: String = "pointwise"

    func channel(episodes: UInt64) throws -> TokenChannel {
        try TokenChannel(length: try parseInt(length, option: "--length"), episodes: episodes,
                         targetBias: targetBias, noise: noise, reward: try TokenReward(parsing: reward),
                         estimator: try parseEstimator(estimator, allowed: [.pointwise, .plugin]))
    }
}

struct SFTModelOptions: ParsableArguments {
    @Option(help: "Vocabulary size V >= 2.")
    var vocab: String

    @Option(help: ArgumentHelp("filtered: rollouts drawn until one equals S (bits per sampled rollout); expert: a free positive from the good set.",
                               valueName: "filtered|expert"))
    var mode: String = "filtered"

    @Option(help: "Expert mode: prior mass of the good set; alpha * V must be a positive integer (default 1/V).")
    var alpha: Double?

    @Option(help: ArgumentHelp("Prior q of the answer S.", valueName: "uniform|zipf:S|file:PATH"))
    var prior: String = "uniform"

    @Option(help: ArgumentHelp("Policy pi of the rollouts (filtered mode).", valueName: "uniform|zipf:S|file:PATH"))
    var policy: String = "uniform"

    func channel(positives: UInt64) throws -> SFTChannel {
        guard let mode = SFTChannel.Mode(rawValue: mode) else {
            throw RewardBitsError.invalidInput("--mode must be filtered or expert (got '\(self.mode)')")
        }
        return try SFTChannel(
            vocabularySize: try Parse.count(vocab, option: "--vocab"), positives: positives, mode: mode, alpha: alpha,
            prior: try parseDistribution(prior, option: "--prior"),
            policy: try parseDistribution(policy, option: "--policy"))
    }
}
