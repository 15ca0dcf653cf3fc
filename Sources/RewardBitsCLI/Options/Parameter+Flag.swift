import RewardBits

extension Parameter {
    /// The command-line flag that sets this parameter: the library's error
    /// messages name it where a user of the command reads them.
    var flag: String {
        switch self {
        case .vocabulary: return "--vocab"
        case .groupSize: return "--group"
        case .length: return "--length"
        case .rollouts: return "--rollouts"
        case .prompts: return "--prompts"
        case .episodes: return "--episodes"
        case .positives: return "--positives"
        case .noise: return "--noise"
        case .targetBias: return "--target-bias"
        case .alpha: return "--alpha"
        case .reward: return "--reward"
        case .estimator: return "--estimator"
        case .prior: return "--prior"
        case .policy: return "--policy"
        case .mode: return "--mode"
        case .threads: return "--threads"
        case .blockSize: return "--block-size"
        case .confidence: return "--confidence"
        case .targetHalfWidth: return "--target-halfwidth"
        case .histogram: return "--histogram"
        case .generator: return "--rng"
        case .rank: return "--rank"
        case .problems: return "--problems"
        case .samples: return "--samples"
        case .capacity: return "--capacity"
        case .layers: return "--layers"
        case .hidden: return "--hidden"
        case .intermediate: return "--intermediate"
        case .heads: return "--heads"
        case .kvHeads: return "--kv-heads"
        case .headDim: return "--head-dim"
        case .checkpoint: return "--checkpoint"
        case .outputFolder: return "--out"
        case .baseline: return "--write-baseline"
        case .history: return "--history"
        case .advantage: return "--advantage"
        case .advantageBaseline: return "--baseline"
        case .steps: return "--steps"
        case .runs: return "--runs"
        case .learner: return "--learner"
        case .learningRate: return "--lr"
        case .entropyBonus: return "--entropy-bonus"
        }
    }
}

extension RewardBitsError {
    /// The one line the command line prints: parameters named by their flags.
    var commandLineMessage: String { message(naming: \.flag) }
}
