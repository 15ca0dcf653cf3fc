import Foundation

/// `token`: T target bits s_t ~ Bernoulli(p), policy bits x_t ~ Bernoulli(1/2),
/// per-token rewards R_t = 1{x_t == s_t}, each flipped with probability eps,
/// then aggregated as `reward` says.
///
/// Exact values (x is a fair coin, so the number c of correct tokens in any
/// span of n tokens is Binomial(n, 1/2) whatever p is):
/// - per-token: T [h(p (*) eps) - h(eps)]; exactly T bits for p = 1/2, eps = 0.
/// - checkpoint:C: a block of n tokens is rewarded when all its noisy R_t
///   are 1, so P(r = 1 | x, s) = (1-eps)^c eps^(n-c) and
///   P(r = 1 | x) = (p (*) eps)^k ((1-p) (*) eps)^(n-k), k the ones of x in
///   the block; I = sum_blocks E_k h(P(r=1|x)) - E_c h(P(r=1|x,s)), which is
///   (T/C) h(2^-C) for p = 1/2, eps = 0 and C dividing T.
/// - sum / graded:B: I = E_k H(G | k) - E_c H(G | c), G the (graded) sum,
///   from the exact distributions Binomial(k, p (*) eps) * Binomial(T-k,
///   (1-p) (*) eps) and Binomial(c, 1-eps) * Binomial(T-c, eps).
public struct TokenChannel: Channel {
    public let length: Int
    public let episodes: UInt64
    public let targetBias: Double
    public let noise: Double
    public let reward: TokenReward
    public let estimator: EstimatorKind
    /// The exact value, computed once for runs that repeat a spec (the
    /// coverage study) instead of at every run.
    var precomputedExact: Double?

    public static let maximumLength = 1 << 16

    public init(length: Int, episodes: UInt64, targetBias: Double = 0.5, noise: Double = 0,
                reward: TokenReward = .perToken, estimator: EstimatorKind = .pointwise) throws {
        guard length >= 1 else {
            throw RewardBitsError.invalidInput("\(Parameter.length) must be at least 1 (got \(length))")
        }
        guard length <= Self.maximumLength else {
            throw RewardBitsError.invalidInput("\(Parameter.length) must be at most 2^16 = 65536 (got \(length))")
        }
        try Validate.count(episodes, .episodes, minimum: 2)
        guard !episodes.multipliedReportingOverflow(by: UInt64(length)).overflow else {
            throw RewardBitsError.invalidInput(
                "\(Parameter.episodes) \(episodes) x \(Parameter.length) \(length) token rewards would overflow the 64-bit count; lower \(Parameter.episodes)")
        }
        try Validate.probability(targetBias, .targetBias)
        try Validate.noise(noise)
        switch reward {
        case .sum, .graded, .gradedQuantile:
            guard length <= TokenReward.maximumAggregateLength else {
                throw RewardBitsError.invalidInput(
                    "\(Parameter.reward) \(reward) tabulates the distribution of the sum and supports \(Parameter.length) up to \(TokenReward.maximumAggregateLength) (got \(length))")
            }
        case .checkpoint(let c):
            guard c <= length else {
                throw RewardBitsError.invalidInput("\(Parameter.reward) checkpoint:\(c) needs C <= \(Parameter.length) \(length)")
            }
        case .perToken:
            break
        }
        guard estimator == .pointwise || estimator == .plugin else {
            throw RewardBitsError.invalidInput("token supports \(Parameter.estimator) pointwise or plugin (got \(estimator.rawValue))")
        }
        self.length = length
        self.episodes = episodes
        self.targetBias = targetBias
        self.noise = noise
        self.reward = reward
        self.estimator = estimator
        if estimator == .plugin {
            let cells = pow(2, 2 * Double(length)) * Double(rewardAlphabet)
            guard cells <= Double(PluginStatistics.maximumCells) else {
                throw RewardBitsError.invalidInput(
                    "\(Parameter.estimator) plugin needs |S| x |O| = 2^T x 2^T x \(rewardAlphabet) <= 2^24 cells; T = \(length) gives \(cells) (use \(Parameter.length) 8 or less)")
            }
            guard episodes <= 1 << 36 else {
                throw RewardBitsError.invalidInput("\(Parameter.estimator) plugin counts at most 2^36 episodes (got \(episodes))")
            }
        }
    }

    public var defaultBlockSize: UInt64 {
        BlockPlan.powerOfTwoBlockSize(target: Double(1 << 22) / Double(length))
    }

    /// Block sizes of the checkpoints: (size, how many).
    var checkpointBlocks: [(size: Int, count: Int)] {
        guard case .checkpoint(let c) = reward else { return [] }
        var blocks = [(size: c, count: length / c)]
        if length % c != 0 { blocks.append((size: length % c, count: 1)) }
        return blocks
    }

    /// Distinct reward values an episode can produce (the plug-in's |O| / 2^T).
    var rewardAlphabet: Int {
        switch reward {
        case .perToken: return 1 << min(length, 30)
        case .checkpoint: return 1 << min(checkpointBlocks.reduce(0) { $0 + $1.count }, 30)
        case .sum: return length + 1
        case .graded, .gradedQuantile: return Set(reward.grades(length: length)!).count
        }
    }

    /// Binomial(n, 1/2) probabilities, in log space so n = 2^16 is fine.
    static func fairBinomial(_ n: Int) -> [Double] {
        (0...n).map { k in exp(lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) - Double(n) * M_LN2) }
    }

    /// P(R_t = 1 | x_t = 1) and P(R_t = 1 | x_t = 0).
    var rewardGivenPolicy: (one: Double, zero: Double) {
        targetBias == 0.5 ? (0.5, 0.5) : (Information.flip(targetBias, noise), Information.flip(1 - targetBias, noise))
    }

    public func exactValue() -> Double {
        switch reward {
        case .perToken:
            return Double(length) * (Information.binaryEntropy(Information.flip(targetBias, noise))
                                     - Information.binaryEntropy(noise))
        case .checkpoint:
            var total = CompensatedSum()
            for (size, count) in checkpointBlocks { total.add(Double(count) * checkpointInformation(size: size)) }
            return total.value
        case .sum, .graded, .gradedQuantile:
            let tables = aggregateTables()
            let weights = Self.fairBinomial(length)
            var total = CompensatedSum()
            for j in 0...length {
                total.add(weights[j] * (Information.entropy(tables.marginal[j]) - Information.entropy(tables.conditional[j])))
            }
            return total.value
        }
    }

    public var bounds: [(String, Double)] {
        switch reward {
        case .perToken: return [("T_bits", Double(length))]
        case .checkpoint: return [("checkpoints", Double(checkpointBlocks.reduce(0) { $0 + $1.count }))]
        case .sum: return [("log2_T_plus_1", log2(Double(length) + 1))]
        case .graded(let b), .gradedQuantile(let b): return [("B_bits", Double(b)), ("log2_levels", log2(Double(rewardAlphabet)))]
        }
    }

    /// The most an episode can carry: the reward's own bound and H(s) = T h(p).
    var informationBound: Double {
        min(bounds.map(\.1).min()!, Double(length) * Information.binaryEntropy(targetBias))
    }

    public func parameters(blockSize: UInt64) -> [(String, JSONValue)] {
        [("length", .integer(Int64(length))), ("episodes", .unsigned(episodes)),
         ("target_bias", .number(targetBias)), ("noise", .number(noise)), ("reward", .string(reward.description)),
         ("estimator", .string(estimator.rawValue)),
         ("block_size", .unsigned(blockSize)), ("stream_format", .integer(Int64(StreamFormat.version)))]
    }

    /// Count index of the per-episode count vector (per-token rewards).
    enum Count: Int, CaseIterable {
        case flipped = 0, policyOneRewardOne, policyOneRewardZero, policyZeroRewardOne, policyZeroRewardZero
    }

    /// Per-token rewards: the pointwise information of an episode is affine
    /// in its counts:
    /// i = T log2(1 - eps) + f (log2 eps - log2(1 - eps)) - sum_{x,r} n_{x r} log2 P(R = r | x).
    func pointwiseCoefficients() -> (offset: Double, coefficients: [Double]) {
        let eps = noise
        let keep = log2(1 - eps)
        let flipCoefficient = eps > 0 ? log2(eps) - keep : 0
        let (a1, a0) = rewardGivenPolicy
        func minusLog(_ x: Double) -> Double { x > 0 ? -log2(x) : 0 }
        return (Double(length) * keep,
                [flipCoefficient, minusLog(a1), minusLog(1 - a1), minusLog(a0), minusLog(1 - a0)])
    }

    /// Checkpoint block of n tokens: log P(r = 1 | c correct) and
    /// log P(r = 1 | k policy ones), natural logs, for c, k = 0...n.
    func checkpointTables(size n: Int) -> (logConditional: [Double], logMarginal: [Double]) {
        let (a1, a0) = rewardGivenPolicy
        func logPower(_ base: Double, _ exponent: Int) -> Double {
            exponent == 0 ? 0 : Double(exponent) * log(base)
        }
        let conditional = (0...n).map { c in logPower(1 - noise, c) + logPower(noise, n - c) }
        let marginal = (0...n).map { k in logPower(a1, k) + logPower(a0, n - k) }
        return (conditional, marginal)
    }

    /// The distribution of the reward level (sum, or grade) given c correct
    /// tokens and given k policy ones; levels are indexed densely.
    func aggregateTables() -> (conditional: [[Double]], marginal: [[Double]], levelOfSum: [Int]) {
        let t = length
        let conditionalSums = TokenSumDistributions.mixtures(length: t, a: 1 - noise, b: noise)
        let (a1, a0) = rewardGivenPolicy
        let marginalSums = TokenSumDistributions.mixtures(length: t, a: a1, b: a0)
        let levelOfSum = self.levelOfSum
        let levels = (levelOfSum.max() ?? 0) + 1
        func fold(_ rows: [[Double]]) -> [[Double]] {
            rows.map { row in
                var out = [Double](repeating: 0, count: levels)
                for (m, p) in row.enumerated() { out[levelOfSum[m]] += p }
                return out
            }
        }
        return (fold(conditionalSums), fold(marginalSums), levelOfSum)
    }

    /// The sum's level index for each sum m (identity unless graded).
    var levelOfSum: [Int] {
        guard let grades = reward.grades(length: length) else { return Array(0...length) }
        let distinct = Array(Set(grades)).sorted()
        return grades.map { distinct.firstIndex(of: $0)! }
    }

    /// The tables the checkpoint, sum and graded kernels look values up in
    /// (in bits; impossible cells hold 0 and never occur).
    func aggregateKernelTables() -> TokenAggregateTables {
        func bitsOf(_ p: Double) -> Double { p > 0 ? log2(p) : 0 }
        var ranges: [(from: Int, to: Int)] = []
        var conditional: [Int: [Double]] = [:], marginal: [Int: [Double]] = [:]
        if case .checkpoint(let c) = reward {
            var start = 0
            while start < length {
                ranges.append((start, min(start + c, length)))
                start += c
            }
            for (size, _) in checkpointBlocks {
                let tables = checkpointTables(size: size)
                func rows(_ logs: [Double]) -> [Double] {
                    logs.flatMap { logOne -> [Double] in
                        let one = exp(logOne)
                        return [bitsOf(1 - one), one > 0 ? logOne / M_LN2 : 0]
                    }
                }
                conditional[size] = rows(tables.logConditional)
                marginal[size] = rows(tables.logMarginal)
            }
        }
        var levels = 0, levelOfSum: [Int] = [], conditionalLevels: [Double] = [], marginalLevels: [Double] = []
        switch reward {
        case .sum, .graded, .gradedQuantile:
            let tables = aggregateTables()
            levels = tables.conditional[0].count
            levelOfSum = tables.levelOfSum
            conditionalLevels = tables.conditional.flatMap { $0.map(bitsOf) }
            marginalLevels = tables.marginal.flatMap { $0.map(bitsOf) }
        default:
            break
        }
        var tables = TokenAggregateTables(
            length: length, targetBias: targetBias, noise: noise, reward: reward, blockRanges: ranges,
            conditionalBits: conditional, marginalBits: marginal, levels: levels, levelOfSum: levelOfSum,
            conditionalLevels: conditionalLevels, marginalLevels: marginalLevels)
        for (size, _) in checkpointBlocks { tables.rareCheckpointOutcomes[size] = rareCheckpointOutcomes(size: size) }
        return tables
    }

    /// What the rare events of the checkpoint reward are.
    static let rareEvents = "rare checkpoint outcomes (far from a checkpoint's mean: a reward, or a flip in a correct block)"

    /// The information one checkpoint of n tokens carries (its pointwise
    /// value's mean): E_k h(P(r = 1 | k)) - E_c h(P(r = 1 | c)), with k and c
    /// both Binomial(n, 1/2) since x is a fair coin.
    func checkpointInformation(size n: Int) -> Double {
        let tables = checkpointTables(size: n)
        let weights = Self.fairBinomial(n)
        var block = 0.0
        for j in 0...n {
            block += weights[j] * (Information.binaryEntropy(exp(tables.logMarginal[j]))
                                   - Information.binaryEntropy(exp(tables.logConditional[j])))
        }
        return block
    }

    /// The pointwise value of every outcome of a checkpoint of n tokens (c
    /// correct, k policy ones, reward r; index (c (n + 1) + k) 2 + r), nil
    /// where it cannot occur: log2 P(r | c) - log2 P(r | k). Every (c, k) can
    /// occur for 0 < p < 1, while p = 0 or 1 ties c to k.
    func checkpointOutcomeValues(size n: Int) -> [Double?] {
        let tables = checkpointTables(size: n)
        var values = [Double?](repeating: nil, count: (n + 1) * (n + 1) * 2)
        for c in 0...n {
            for k in 0...n {
                if targetBias == 0 && c != n - k { continue }
                if targetBias == 1 && c != k { continue }
                let one = exp(tables.logConditional[c]), marginalOne = exp(tables.logMarginal[k])
                for r in 0...1 {
                    let conditional = r == 1 ? one : 1 - one
                    let marginal = r == 1 ? marginalOne : 1 - marginalOne
                    guard conditional > 0, marginal > 0 else { continue }
                    values[(c * (n + 1) + k) * 2 + r] = log2(conditional) - log2(marginal)
                }
            }
        }
        return values
    }

    /// Which outcomes of a checkpoint of n tokens are rare events of the
    /// interval rule (index as `checkpointOutcomeValues`): those whose value
    /// lies more than 1/64 of the possible range away from the checkpoint's
    /// exact mean, as a reward does (C bits, probability 2^-C) and a flip in
    /// an all-correct block (log2 of about C eps); the bulk of unrewarded
    /// blocks sits within a hair of the mean. The split is fixed by the
    /// model, never by the data.
    func rareCheckpointOutcomes(size n: Int) -> [Bool] {
        let values = checkpointOutcomeValues(size: n)
        let seen = values.compactMap { $0 }
        guard let low = seen.min(), let high = seen.max() else { return values.map { _ in false } }
        let mean = checkpointInformation(size: n)
        let threshold = (high - low) * RareValues.fraction
        return values.map { v in v.map { abs($0 - mean) > threshold } ?? false }
    }

    /// Checkpoints per episode.
    var blocksPerEpisode: Int { checkpointBlocks.reduce(0) { $0 + $1.count } }

    /// The ranges of one checkpoint's pointwise value over its rare outcomes
    /// and over the others (checkpoint rewards only; nil where there are none).
    func checkpointBlockRanges() -> (rewarded: ClosedRange<Double>?, unrewarded: ClosedRange<Double>?)? {
        guard case .checkpoint = reward else { return nil }
        var rareLow = Double.infinity, rareHigh = -Double.infinity
        var otherLow = Double.infinity, otherHigh = -Double.infinity
        for (size, _) in checkpointBlocks {
            let values = checkpointOutcomeValues(size: size)
            let rare = rareCheckpointOutcomes(size: size)
            for (index, value) in values.enumerated() {
                guard let value else { continue }
                if rare[index] {
                    (rareLow, rareHigh) = (min(rareLow, value), max(rareHigh, value))
                } else {
                    (otherLow, otherHigh) = (min(otherLow, value), max(otherHigh, value))
                }
            }
        }
        return (rareLow <= rareHigh ? rareLow...rareHigh : nil, otherLow <= otherHigh ? otherLow...otherHigh : nil)
    }

    /// Checkpoints with p = 1/2, no noise and C dividing T: (offset, slope,
    /// blocks per episode) of the estimate as an affine function of the
    /// fraction of rewarded blocks.
    func checkpointAffineForm() -> (offset: Double, slope: Double, blocks: UInt64)? {
        guard case .checkpoint(let c) = reward, targetBias == 0.5, noise == 0, length % c == 0 else { return nil }
        let missed = Information.minusLog2OneMinus(pow(2, -Double(c)))
        let blocks = length / c
        return (Double(blocks) * missed, Double(blocks) * (Double(c) - missed), UInt64(blocks))
    }

    /// This channel with its exact value computed now, for many runs.
    public func precomputingExact() -> Self {
        var copy = self
        copy.precomputedExact = exactValue()
        return copy
    }

    public func run(settings: RunSettings) throws -> ChannelResult {
        let blockSize = estimator == .plugin
            ? try PluginStatistics.blockSize(samples: episodes, requested: settings.blockSize, default: defaultBlockSize)
            : settings.blockSize ?? defaultBlockSize
        let parameters = parameters(blockSize: blockSize) + ChannelRun.runParameters(settings)
        let runner = ChannelRun(channel: Self.name, parameters: parameters, settings: settings)
        let kernels = settings.kernels(as: (any TokenKernelFactory.Type).self)
        let level = settings.confidence
        let binWidth = settings.histogramBinWidth
        let exact = precomputedExact ?? exactValue()
        let units = Double(length)
        let measured: Measurement

        if estimator == .plugin {
            guard binWidth == nil else {
                throw RewardBitsError.invalidInput("\(Parameter.histogram) needs per-sample values: use \(Parameter.estimator) pointwise")
            }
            guard settings.stopping == nil else {
                throw RewardBitsError.invalidInput("\(Parameter.targetHalfWidth) is not available for \(Parameter.estimator) plugin (its interval needs a bootstrap)")
            }
            let seed = settings.seed
            let estimate: @Sendable (PluginStatistics) throws -> Estimate = { try $0.estimate(level: level, seed: seed) }
            let kernel = kernels.tokenPlugin(
                length: length, targetBias: targetBias, noise: noise, reward: reward, rewardAlphabet: rewardAlphabet,
                levelOfSum: levelOfSum)
            let outcome = try runner.execute(kernel, totalSamples: episodes, blockSize: blockSize, estimate: estimate,
                                             unitsPerSample: units, unitName: "token rewards")
            measured = Measurement(outcome, estimate: try estimate(outcome.statistics))
        } else if reward == .perToken {
            let (offset, coefficients) = pointwiseCoefficients()
            let fair = targetBias == 0.5
            let t = length
            func estimator(_ interval: Estimate.BinomialInterval) -> @Sendable (TokenStatistics) throws -> Estimate {
                { statistics in
                    let counts = statistics.counts
                    if fair {
                        // Every -log2 P(R | x) is 1: i = T (1 + log2(1 - eps)) + f log2(eps / (1 - eps)),
                        // affine in the total flip count ~ Binomial(N T, eps).
                        return try Estimate.affineBinomial(
                            offset: offset + Double(t), slope: coefficients[0] * Double(t),
                            successes: UInt64(counts.sums[Count.flipped.rawValue]), trials: UInt64(t) * counts.samples,
                            samples: counts.samples, level: level, interval: interval)
                    }
                    let (mean, variance) = counts.affineMoments(offset: offset, coefficients: coefficients)
                    // A sum of T independent bounded token terms per episode: no
                    // rare events carry it (the rule with one stratum).
                    return try Estimate.rareEventMean(
                        rare: .impossible,
                        common: Stratum(count: counts.samples, mean: mean, variance: variance, singleValue: variance == 0,
                                        possible: nil),
                        level: level)
                }
            }
            let estimate = estimator(settings.binomialInterval)
            var flips: (@Sendable (TokenStatistics) -> UInt64)?
            if fair && noise > 0 {
                flips = { UInt64($0.counts.sums.isEmpty ? 0 : $0.counts.sums[Count.flipped.rawValue]) }
            }
            let kernel = kernels.tokenPerToken(length: length, targetBias: targetBias, noise: noise,
                                                        valueOffset: offset, valueCoefficients: coefficients, binWidth: binWidth)
            let outcome = try runner.execute(kernel, totalSamples: episodes, blockSize: blockSize, estimate: estimate,
                                             monitor: estimator(.clopperPearson), successes: flips,
                                             unitsPerSample: units, unitName: "token rewards")
            measured = Measurement(outcome, estimate: try estimate(outcome.statistics),
                                   histogram: outcome.statistics.values.histogram)
        } else {
            let kernel = kernels.tokenAggregate(tables: aggregateKernelTables(), center: exact, binWidth: binWidth)
            // Checkpoints with p = 1/2, no noise and C dividing T: each block
            // is worth C bits when rewarded and -log2(1 - 2^-C) otherwise, so
            // the estimate is affine in the rewarded blocks ~ Binomial(N T/C, 2^-C).
            let affine = checkpointAffineForm()
            let ranges = checkpointBlockRanges()
            let blocksPerEpisode = self.blocksPerEpisode
            func estimator(_ interval: Estimate.BinomialInterval) -> @Sendable (TokenStatistics) throws -> Estimate {
                { statistics in
                    let m = statistics.values
                    if let affine {
                        return try Estimate.affineBinomial(
                            offset: affine.offset, slope: affine.slope, successes: statistics.successes,
                            trials: affine.blocks * m.count, samples: m.count, level: level, interval: interval)
                    }
                    guard let ranges else {
                        // Sums and grades: no rare events carry the mean.
                        return try Estimate.rareEventMean(
                            rare: .impossible, common: Stratum(m.common, observed: m.commonRange, possible: nil),
                            level: level, interval: interval)
                    }
                    // Checkpoints: the rule over every checkpoint of every
                    // episode, scaled back to an episode's worth.
                    let c = statistics.checkpoints
                    let perBlock = try Estimate.rareEventMean(
                        rare: Stratum(c.rare, observed: c.rareRange, possible: ranges.rewarded),
                        common: Stratum(c.common, observed: c.commonRange, possible: ranges.unrewarded),
                        level: level, interval: interval, rareEvents: Self.rareEvents)
                    return perBlock.scaled(by: Double(blocksPerEpisode), samples: m.count, value: m.mean)
                }
            }
            let estimate = estimator(settings.binomialInterval)
            // The stop rule's rare events: rewarded blocks where the estimate
            // is affine in their count, else the rule's rare outcomes.
            var rewarded: (@Sendable (TokenStatistics) -> UInt64)?
            if affine != nil {
                rewarded = { $0.successes }
            } else if ranges != nil {
                rewarded = { $0.checkpoints.rare.count }
            }
            let outcome = try runner.execute(kernel, totalSamples: episodes, blockSize: blockSize, estimate: estimate,
                                             monitor: estimator(.clopperPearson), successes: rewarded,
                                             unitsPerSample: units, unitName: "token rewards")
            measured = Measurement(outcome, estimate: try estimate(outcome.statistics),
                                   histogram: outcome.statistics.values.histogram,
                                   largestShare: outcome.statistics.values.largestShareOfSquares)
        }
        var bounds = self.bounds
        if estimator == .plugin { bounds.append(("plugin_bias_vs_exact", measured.estimate.value - exact)) }
        return ChannelResult(
            channel: "token", parameters: parameters, estimator: estimator.rawValue,
            estimate: measured.estimate, exact: exact, bounds: bounds, boundEstimates: [], boundExacts: [],
            rollouts: measured.rollouts, warnings: [], seconds: measured.seconds, cpuSeconds: measured.cpuSeconds,
            throughputUnit: "token rewards", throughputUnits: Double(measured.samples) * Double(length),
            settings: settings, stoppedEarly: measured.stoppedEarly, histogram: measured.histogram,
            targetReached: measured.targetReached)
            .finished(bound: informationBound, largestShare: measured.largestShare)
    }
}

extension TokenChannel {
    public static let name = "token"
    public static let sampleName = "episodes"
    public var sampleCount: UInt64 { episodes }
    public func exactInformation() -> Double? { precomputedExact ?? exactValue() }

    public static let workloads: [Workload] = [
        Workload(name: "token", command: "estimate token --length 256 --noise 0.1 --episodes 1e8",
                 unit: "token rewards", cReferencePerCore: 5.0e9, numpyPerCore: 1.4e8) { scale in
            let channel = try TokenChannel(length: 256, episodes: Workload.scaled(1e8, scale), noise: 0.1)
            return { try channel.run(settings: $0) }
        },
    ]
}
