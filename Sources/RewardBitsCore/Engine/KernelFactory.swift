/// The hot loops of every channel, built for one instruction set.
///
/// The kernel sources are compiled three times (portable, x86-64-v3 with
/// AVX2, x86-64-v4 with AVX-512), each copy providing a `KernelSet` that
/// conforms to this protocol; the engine picks the widest the CPU supports.
/// All three give bitwise-identical statistics for a given stream.
public protocol KernelFactory {
    /// "portable", "avx2" or "avx512".
    static var instructionSet: String { get }

    /// Fills `words` from the Philox stream of (seed, block) exactly as the
    /// kernels read it (for throughput benchmarks of the generator itself).
    static func fillPhilox(_ words: UnsafeMutablePointer<UInt32>, count: Int, stream: StreamKey)

    /// The numbers of distinct tokens among `x` and among `y` (two groups of
    /// the same size K, 1 to 32 tokens each below 2^16) as the group
    /// kernel's in-register sorting networks count them in this copy: x
    /// alone, then x and y side by side (for the tests: the AVX-512 copy
    /// runs the networks, the others their scalar fallback).
    static func distinctTokensBySorting(_ x: [UInt32], pairedWith y: [UInt32]) -> (alone: Int, paired: Int, partner: Int)

    /// The classes (M, or 2 M + answer drawn) of 16 prompts of K <= 32
    /// tokens below 2^16 each, as `rb_group_classes16` gives them in this
    /// copy (for the tests: the AVX2 copy runs the lane-wise network, the
    /// others the reference loop).
    static func groupClasses16(_ prompts: [[UInt32]], answers: [UInt32]?) -> [Int]

    /// Symbols drawn from `table` with the Philox stream of (seed, block) as
    /// the kernels of this copy draw them (`fillSymbols`, eight at a time
    /// where it can), after skipping `skip` words, in calls of the given
    /// `sizes` (for the tests: the same symbols as `AliasTable.fill`).
    static func aliasSymbols(_ table: AliasTable, stream: StreamKey, skip: Int, sizes: [Int]) -> [UInt32]

    /// `rb_deposit_bits_by_lanes` as compiled in this copy (for the tests:
    /// the AVX2 loop against four `pdep`s).
    static func depositBitsByLanes(_ bits: UInt64, shifts: SIMD4<UInt64>, masks: SIMD4<UInt64>) -> SIMD4<UInt64>

    /// `count` chunks of `BernoulliWords.words4` drawn from the Philox stream
    /// of (seed, block) as the token kernels of this copy draw them, with
    /// the live masks `live` in turn and the given deposit (for the tests:
    /// every copy and deposit gives the same words).
    static func bernoulliChunks(probability: Double, stream: StreamKey, live: [SIMD4<UInt64>], count: Int,
                                deposit: BitDeposit) -> [SIMD4<UInt64>]

    // single
    static func singlePointwiseUniformPrior(policy: AnySymbolSampler, vocabularySize: UInt64, noise: Double)
        -> any BlockKernel<ClassCounts>
    static func singlePointwise(policy: AnySymbolSampler, prior: AliasTable, noise: Double, table: [Double],
                                center: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments>
    /// `rareThreshold`: values at or above it are the rare events of the
    /// interval rule (+infinity: none).
    static func singleRB(policy: AnySymbolSampler, table: [Double], constant: Bool, center: Double,
                         rareThreshold: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments>
    static func singlePlugin(policy: AnySymbolSampler, prior: AnySymbolSampler, vocabularySize: UInt64,
                             noise: Double) -> any BlockKernel<PluginStatistics>

    // group
    static func groupUniformPrior(policy: AnySymbolSampler, vocabularySize: UInt64, groupSize: Int,
                                  pointwise: Bool) -> any BlockKernel<GroupStatistics>
    static func group(policy: AnySymbolSampler, prior: AliasTable, priorProbabilities: [Double],
                      vocabularySize: UInt64, groupSize: Int, pointwise: Bool, center: Double,
                      rareThreshold: Double, binWidth: Double?) -> any BlockKernel<GroupStatistics>
    static func groupNoisy(policy: AnySymbolSampler, prior: AliasTable?, priorProbabilities: [Double]?,
                           vocabularySize: UInt64, groupSize: Int, noise: Double, pointwise: Bool, center: Double,
                           rareThreshold: Double, rareBelow: Double, binWidth: Double?) -> any BlockKernel<GroupStatistics>

    // token
    static func tokenPerToken(length: Int, targetBias: Double, noise: Double, valueOffset: Double,
                              valueCoefficients: [Double], binWidth: Double?) -> any BlockKernel<TokenStatistics>
    static func tokenAggregate(tables: TokenAggregateTables, center: Double, binWidth: Double?)
        -> any BlockKernel<TokenStatistics>
    static func tokenPlugin(length: Int, targetBias: Double, noise: Double, reward: TokenReward,
                            rewardAlphabet: Int, levelOfSum: [Int]) -> any BlockKernel<PluginStatistics>

    // sft
    static func sftExpert(prior: AnySymbolSampler, vocabularySize: UInt64, goodSetSize: UInt64, surprise: [Double],
                          offset: Double, center: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments>
    static func sftFiltered(prior: AnySymbolSampler, policy: AnySymbolSampler, surprise: [Double], constant: Double,
                            binWidth: Double?) -> any BlockKernel<RatioMoments>
}

/// The tables behind the checkpoint, sum and graded token rewards, built by
/// the channel from the exact distributions and consumed by the kernel.
public struct TokenAggregateTables: Sendable {
    public var length: Int
    public var targetBias: Double
    public var noise: Double
    public var reward: TokenReward
    /// Checkpoints: block ranges and, per block size, log2 P(r | c) and
    /// log2 P(r | k) for r = 0, 1 (index 2 c + r).
    public var blockRanges: [(from: Int, to: Int)]
    public var conditionalBits: [Int: [Double]]
    public var marginalBits: [Int: [Double]]
    /// Checkpoints: per block size n, whether the outcome (c correct, k
    /// policy ones, reward r), index (c (n + 1) + k) 2 + r, is a rare event of
    /// the interval rule.
    public var rareCheckpointOutcomes: [Int: [Bool]] = [:]
    /// Sums and grades: log2 P(level | c) and log2 P(level | k), row-major.
    public var levels: Int
    public var levelOfSum: [Int]
    public var conditionalLevels: [Double]
    public var marginalLevels: [Double]

    public init(length: Int, targetBias: Double, noise: Double, reward: TokenReward,
                blockRanges: [(from: Int, to: Int)], conditionalBits: [Int: [Double]], marginalBits: [Int: [Double]],
                levels: Int, levelOfSum: [Int], conditionalLevels: [Double], marginalLevels: [Double]) {
        self.length = length
        self.targetBias = targetBias
        self.noise = noise
        self.reward = reward
        self.blockRanges = blockRanges
        self.conditionalBits = conditionalBits
        self.marginalBits = marginalBits
        self.levels = levels
        self.levelOfSum = levelOfSum
        self.conditionalLevels = conditionalLevels
        self.marginalLevels = marginalLevels
    }
}
