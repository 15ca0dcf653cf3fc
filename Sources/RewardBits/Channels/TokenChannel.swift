import Foundation

/// `token`: T target bits s_t ~ Bernoulli(p), policy bits x_t ~ Bernoulli(1/2),
/// per-token rewards R_t = 1{x_t == s_t}, each flipped with probability eps.
///
/// Exact value: T [h(p (*) eps) - h(eps)]; exactly T bits for p = 1/2 and
/// eps = 0 (the seed's Fig. 7).
public struct TokenChannel: Sendable {
    public let length: Int
    public let episodes: UInt64
    public let targetBias: Double
    public let noise: Double

    public static let maximumLength = 1 << 16

    public init(length: Int, episodes: UInt64, targetBias: Double = 0.5, noise: Double = 0) throws {
        guard length >= 1 else {
            throw RewardBitsError.invalidInput("--length must be at least 1 (got \(length))")
        }
        guard length <= Self.maximumLength else {
            throw RewardBitsError.invalidInput("--length must be at most 2^16 = 65536 (got \(length))")
        }
        try Validate.count(episodes, option: "--episodes", minimum: 2)
        try Validate.probability(targetBias, option: "--target-bias")
        try Validate.noise(noise)
        self.length = length
        self.episodes = episodes
        self.targetBias = targetBias
        self.noise = noise
    }

    public var defaultBlockSize: UInt64 {
        BlockPlan.powerOfTwoBlockSize(target: Double(1 << 22) / Double(length))
    }

    public func exactValue() -> Double {
        Double(length) * (Information.binaryEntropy(Information.flip(targetBias, noise))
                          - Information.binaryEntropy(noise))
    }

    public var bounds: [(String, Double)] { [("T_bits", Double(length))] }

    public func parameters(blockSize: UInt64) -> [(String, JSONValue)] {
        [("length", .integer(Int64(length))), ("episodes", .unsigned(episodes)),
         ("target_bias", .number(targetBias)), ("noise", .number(noise)), ("reward", .string("per-token")),
         ("estimator", .string("pointwise")),
         ("block_size", .unsigned(blockSize)), ("stream_format", .integer(Int64(StreamFormat.version)))]
    }

    /// Count index of the per-episode count vector.
    enum Count: Int, CaseIterable {
        case flipped = 0, policyOneRewardOne, policyOneRewardZero, policyZeroRewardOne, policyZeroRewardZero
    }

    /// The pointwise information of an episode is affine in its counts:
    /// i = T log2(1 - eps) + f (log2 eps - log2(1 - eps)) - sum_{x,r} n_{x r} log2 P(R = r | x).
    func pointwiseCoefficients() -> (offset: Double, coefficients: [Double]) {
        let eps = noise
        let keep = log2(1 - eps)
        let flipCoefficient = eps > 0 ? log2(eps) - keep : 0
        // P(R = 1 | x = 1) = p (*) eps, P(R = 1 | x = 0) = (1 - p) (*) eps.
        let a1 = targetBias == 0.5 ? 0.5 : Information.flip(targetBias, eps)
        let a0 = targetBias == 0.5 ? 0.5 : Information.flip(1 - targetBias, eps)
        func minusLog(_ x: Double) -> Double { x > 0 ? -log2(x) : 0 }
        return (Double(length) * keep,
                [flipCoefficient, minusLog(a1), minusLog(1 - a1), minusLog(a0), minusLog(1 - a0)])
    }

    public func run(settings: RunSettings) throws -> ChannelResult {
        let blockSize = settings.blockSize ?? defaultBlockSize
        let plan = BlockPlan(totalSamples: episodes, blockSize: blockSize)
        let kernel = TokenKernel(length: length, targetBias: targetBias, noise: noise)
        let outcome = try Engine.run(kernel, plan: plan, settings: settings, unitsPerSample: Double(length),
                                     unitName: "token rewards")
        let statistics = outcome.statistics
        let (offset, coefficients) = pointwiseCoefficients()
        let level = settings.confidence
        let estimate: Estimate
        if targetBias == 0.5 {
            // Every -log2 P(R | x) is 1: i = T (1 + log2(1 - eps)) + f log2(eps / (1 - eps)),
            // affine in the total flip count ~ Binomial(N T, eps).
            let trials = UInt64(length) * outcome.samples
            let flips = UInt64(statistics.sums[Count.flipped.rawValue])
            estimate = try Estimate.affineBinomial(
                offset: offset + Double(length), slope: coefficients[0] * Double(length),
                successes: flips, trials: trials, samples: outcome.samples, level: level)
        } else {
            let (mean, variance) = statistics.affineMoments(offset: offset, coefficients: coefficients)
            estimate = try Estimate.studentT(mean: mean, variance: variance, samples: outcome.samples, level: level)
        }
        return ChannelResult(
            channel: "token", parameters: parameters(blockSize: blockSize), estimator: "pointwise",
            estimate: estimate, exact: exactValue(), bounds: bounds, boundEstimates: [], boundExacts: [],
            rollouts: outcome.rollouts, warnings: [], seconds: outcome.seconds, cpuSeconds: outcome.cpuSeconds,
            throughputUnit: "token rewards", throughputUnits: Double(outcome.samples) * Double(length),
            settings: settings)
    }
}

/// Per-token rewards on 64-bit words: each word carries 64 tokens' policy
/// bits x, target bits s (exact Bernoulli(p)) and flip bits e (exact
/// Bernoulli(eps)); the counts of an episode are popcounts.
struct TokenKernel: BlockKernel {
    let length: Int
    let targets: BernoulliWords
    let flips: BernoulliWords

    init(length: Int, targetBias: Double, noise: Double) {
        self.length = length
        targets = BernoulliWords(probability: targetBias)
        flips = BernoulliWords(probability: noise)
    }

    func run<S: RandomStream & ~Copyable>(samples: Int, source: inout WordSource<S>) -> BlockResult<CountMoments> {
        var moments = CountMoments(dimensions: 5)
        let words = (length + 63) / 64
        let lastMask = length % 64 == 0 ? UInt64.max : (UInt64(1) << UInt64(length % 64)) - 1
        let fairTargets = targets.probability == 0.5
        let noiseless = flips.probability == 0
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 5) { counts in
            let counts = counts.baseAddress!
            for _ in 0..<samples {
                var flipped: UInt64 = 0, n11: UInt64 = 0, n10: UInt64 = 0, n01: UInt64 = 0
                for w in 0..<words {
                    let mask = w == words - 1 ? lastMask : UInt64.max
                    let x = source.next64()
                    let s = fairTargets ? source.next64() : targets.word(&source)
                    let e = noiseless ? 0 : flips.word(&source)
                    let correct = ~(x ^ s)
                    let reward = correct ^ e
                    // The likelihood P(R | x, s) is read off the observation:
                    // a reward that disagrees with correctness was flipped.
                    flipped &+= UInt64(((reward ^ correct) & mask).nonzeroBitCount)
                    n11 &+= UInt64((x & reward & mask).nonzeroBitCount)
                    n10 &+= UInt64((x & ~reward & mask).nonzeroBitCount)
                    n01 &+= UInt64((~x & reward & mask).nonzeroBitCount)
                }
                counts[0] = flipped
                counts[1] = n11
                counts[2] = n10
                counts[3] = n01
                counts[4] = UInt64(length) - n11 - n10 - n01
                moments.add(counts)
            }
        }
        return BlockResult(statistics: moments, rollouts: UInt64(samples))
    }
}
