/// Everything one estimate run reports: the estimate and its interval, the
/// exact value and bounds beside it, and what the run cost.
public struct ChannelResult: Sendable {
    public var channel: String
    /// Every option with its default filled in, in display order.
    public var parameters: [(String, JSONValue)]
    public var estimator: String
    public var estimate: Estimate
    public var exact: Double?
    /// Named upper bounds (and related reference numbers) in bits.
    public var bounds: [(String, Double)]
    /// Reference quantities that are themselves estimated, with their CI
    /// (e.g. the mean of log2(M + 1) for a group).
    public var boundEstimates: [(String, Estimate)]
    /// Exact values of the reference quantities, where known.
    public var boundExacts: [(String, Double)]
    public var rollouts: UInt64
    public var warnings: [String]
    public var seconds: Double
    public var cpuSeconds: Double
    /// The unit the channel's throughput is counted in and how many were done.
    public var throughputUnit: String
    public var throughputUnits: Double
    public var settings: RunSettings
    /// True when --target-halfwidth ended the run before its sample cap.
    public var stoppedEarly: Bool = false
    /// The distribution of per-sample values (--histogram).
    public var histogram: SurpriseHistogram?

    /// The channel's warnings, the interval's notes and the generator's
    /// known quality problems.
    public var allWarnings: [String] { warnings + estimate.notes + settings.generator.qualityWarnings }

    public var rolloutsPerSecond: Double { seconds > 0 ? Double(rollouts) / seconds : 0 }
    public var unitsPerSecond: Double { seconds > 0 ? throughputUnits / seconds : 0 }
    public var unitsPerCPUSecond: Double { cpuSeconds > 0 ? throughputUnits / cpuSeconds : 0 }
}

/// The version of the mapping from (seed, block, spec) to random words and of
/// the way kernels consume them. Bump it whenever any estimate for a fixed
/// seed would change; checkpoints and outputs record it.
///
/// 1: scalar kernels. 2: packed fields from 16-word vectors for uniform
/// power-of-two vocabularies, 256-token episode chunks, vectorised exact
/// Bernoulli rounds, filtered-SFT rollouts by whole vectors. 3: the token
/// channel's 256-lane exact Bernoulli words (noise flips, and targets when
/// p != 1/2) finish their undecided lanes packed into one word
/// (`BernoulliWords.words4`); every other channel draws as in 2. 4: those
/// words take 8 packed rounds before the first test for open lanes, not 10
/// (`BernoulliWords.uncheckedPackedRounds`); every other channel as in 3.
public enum StreamFormat {
    public static let version = 4
}

/// Which estimator a channel uses.
public enum EstimatorKind: String, Sendable, CaseIterable {
    /// Sample mean of log2 P(obs | S) - log2 P(obs).
    case pointwise
    /// Rao-Blackwellised: the pointwise information averaged over S given the
    /// S-independent part of the observation.
    case rb
    /// Ratio of means (sft filtered: bits per sampled rollout).
    case ratio
    /// Model-free: H^(S) + H^(O) - H^(S, O) from the counts of (S, O),
    /// Miller-Madow corrected. Its target is E[plug-in], not I.
    case plugin
}
