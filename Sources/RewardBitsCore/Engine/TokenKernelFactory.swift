/// The kernels of the `token` channel, in every compiled copy (see
/// `KernelFactory`).
public protocol TokenKernelFactory: KernelFactory {
    static func tokenPerToken(length: Int, targetBias: Double, noise: Double, valueOffset: Double,
                              valueCoefficients: [Double], binWidth: Double?) -> any BlockKernel<TokenStatistics>
    static func tokenAggregate(tables: TokenAggregateTables, center: Double, binWidth: Double?)
        -> any BlockKernel<TokenStatistics>
    static func tokenPlugin(length: Int, targetBias: Double, noise: Double, reward: TokenReward,
                            rewardAlphabet: Int, levelOfSum: [Int]) -> any BlockKernel<PluginStatistics>
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
