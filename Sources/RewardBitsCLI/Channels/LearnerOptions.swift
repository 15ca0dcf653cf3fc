import ArgumentParser
import RewardBits

/// The options of `learner`: the model, the learner and the number of runs.
struct LearnerOptions: ChannelOptions {
    static let estimateAbstract = "A learner adapting over --steps rounds of K rollouts: the curve I(S; H_t), what its policy keeps, efficiency."
    static let exactAbstract = "Exact learner curves (static; tempered, thompson, elimination under a uniform prior without noise)."

    @Option(help: "Vocabulary size V >= 2.", transform: Count.parse)
    var vocab: Count

    @Option(help: "Rollouts per step K (1 ... 64).", transform: Count.parse)
    var group: Count

    @Option(help: "Steps n (rounds of K rollouts on the same prompt, 1 ... 4096).", transform: Count.parse)
    var steps: Count

    @OptionGroup var distributions: DistributionOptions

    @Option(help: ArgumentHelp("""
        static (the fixed --policy), tempered:BETA (rollouts from the posterior to the power BETA), elimination \
        (K untried tokens per step; noiseless), thompson (from the exact posterior) or reinforce (softmax logits, \
        initially log --policy, moved by --advantage updates at rate --lr).
        """, valueName: "static|tempered:BETA|elimination|thompson|reinforce"), transform: Parsed.learner)
    var learner: LearnerKind

    @Option(help: ArgumentHelp("The reinforce learner's advantage.", valueName: "reinforce|rloo|grpo"))
    var advantage: Advantage = .rloo

    @Option(help: "The fixed baseline b of --advantage reinforce.")
    var baseline: Double = 0

    @Option(help: "The reinforce learner's learning rate eta.")
    var lr: Double = 1

    @Option(name: .customLong("entropy-bonus"), help: "The reinforce learner's entropy bonus lambda (moves every logit: O(V) per step).")
    var entropyBonus: Double = 0

    @Option(help: "Verifier noise: each reward flipped with this probability, in [0, 0.5].")
    var noise: Double = 0

    @Option(help: "Number of independent learners N, e.g. 1e4.", transform: Count.parse)
    var runs: Count?

    var sampleCount: Count? { runs }

    func channel(samples: UInt64) throws -> LearnerChannel {
        try LearnerChannel(
            vocabularySize: vocab.value, groupSize: try group.int(option: "--group"), steps: try steps.int(option: "--steps"),
            runs: samples, prior: distributions.prior, policy: distributions.policy, noise: noise, learner: learner,
            advantage: advantage, baseline: baseline, learningRate: lr, entropyBonus: entropyBonus)
    }
}

extension LearnerChannel: CommandLineChannel {
    typealias Options = LearnerOptions
}
