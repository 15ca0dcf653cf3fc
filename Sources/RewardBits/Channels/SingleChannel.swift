import Foundation

/// `single`: one rollout T ~ pi, one binary reward r = 1{T == S} (flipped
/// with probability eps), S ~ q independent of T.
///
/// Exact value: I(S; T, r) = sum_t pi(t) [h(q(t) (*) eps) - h(eps)], and h(1/V)
/// for a uniform prior without noise (Fig. 5 of the post).
public struct SingleChannel: Channel {
    public let vocabularySize: UInt64
    public let prior: SymbolDistribution
    public let policy: SymbolDistribution
    public let noise: Double
    public let estimator: EstimatorKind
    public let rollouts: UInt64
    /// The exact value, computed once for runs that repeat a spec (the
    /// coverage study) instead of at every run.
    var precomputedExact: Double?

    public init(vocabularySize: UInt64, prior: DistributionSpec = .uniform, policy: DistributionSpec = .uniform,
                noise: Double = 0, estimator: EstimatorKind = .pointwise, rollouts: UInt64) throws {
        try Validate.vocabulary(vocabularySize)
        try Validate.noise(noise)
        try Validate.count(rollouts, .rollouts, minimum: 2)
        guard [.pointwise, .rb, .plugin].contains(estimator) else {
            throw RewardBitsError.invalidInput("single supports \(Parameter.estimator) pointwise, rb or plugin (got \(estimator.rawValue))")
        }
        if estimator == .plugin {
            let cells = Double(vocabularySize) * Double(vocabularySize) * 2
            guard cells <= Double(PluginStatistics.maximumCells) else {
                throw RewardBitsError.invalidInput(
                    "\(Parameter.estimator) plugin needs |S| x |O| = 2 V^2 <= 2^24 cells (V <= 2896); got V = \(vocabularySize)")
            }
            guard rollouts <= 1 << 36 else {
                throw RewardBitsError.invalidInput("\(Parameter.estimator) plugin counts at most 2^36 rollouts (got \(rollouts))")
            }
        }
        self.vocabularySize = vocabularySize
        self.prior = try SymbolDistribution(prior, vocabularySize: vocabularySize, option: .prior)
        self.policy = try SymbolDistribution(policy, vocabularySize: vocabularySize, option: .policy)
        self.noise = noise
        self.estimator = estimator
        self.rollouts = rollouts
    }

    public static let defaultBlockSize: UInt64 = 1 << 20

    /// P(r = 1 | T = t) = q(t) (*) eps.
    func rewardProbability(_ t: Int) -> Double { Information.flip(prior.probability(t), noise) }

    /// The Rao-Blackwellised value of a rollout landing on t.
    func rbValue(_ t: Int) -> Double {
        Information.binaryEntropy(rewardProbability(t)) - Information.binaryEntropy(noise)
    }

    /// The exact mutual information I(S; T, r) in bits (an O(V) sum, O(1)
    /// when the prior is uniform).
    public func exactValue() -> Double {
        if prior.isUniform {
            return Information.binaryEntropy(Information.flip(1 / Double(vocabularySize), noise))
                - Information.binaryEntropy(noise)
        }
        var total = CompensatedSum()
        for t in 0..<Int(vocabularySize) {
            total.add(policy.probability(t) * rbValue(t))
        }
        return total.value
    }

    public var bounds: [(String, Double)] { [("one_bit", 1)] }

    public func parameters(blockSize: UInt64) -> [(String, JSONValue)] {
        [("vocab", .unsigned(vocabularySize)), ("rollouts", .unsigned(rollouts)),
         ("prior", .string(prior.spec.description)), ("policy", .string(policy.spec.description)),
         ("noise", .number(noise)), ("estimator", .string(estimator.rawValue)),
         ("block_size", .unsigned(blockSize)), ("stream_format", .integer(Int64(StreamFormat.version)))]
    }

    /// This channel with its exact value computed now, for many runs.
    public func precomputingExact() -> Self {
        var copy = self
        copy.precomputedExact = exactValue()
        return copy
    }

    public func run(settings: RunSettings) throws -> ChannelResult {
        let blockSize = estimator == .plugin
            ? try PluginStatistics.blockSize(samples: rollouts, requested: settings.blockSize, default: Self.defaultBlockSize)
            : settings.blockSize ?? Self.defaultBlockSize
        let parameters = parameters(blockSize: blockSize) + ChannelRun.runParameters(settings)
        let runner = ChannelRun(channel: Self.name, parameters: parameters, settings: settings)
        let exact = precomputedExact ?? exactValue()
        let level = settings.confidence
        let binWidth = settings.histogramBinWidth
        let policySampler = try policy.makeSampler()
        let kernels = settings.kernels(as: (any SingleKernelFactory.Type).self)
        let measured: Measurement

        switch (estimator, prior.isUniform) {
        case (.plugin, _):
            guard settings.histogramBinWidth == nil else {
                throw RewardBitsError.invalidInput("\(Parameter.histogram) needs per-sample values: use \(Parameter.estimator) pointwise or rb")
            }
            guard settings.stopping == nil else {
                throw RewardBitsError.invalidInput("\(Parameter.targetHalfWidth) is not available for \(Parameter.estimator) plugin (its interval needs a bootstrap)")
            }
            let priorSampler = try prior.makeSampler()
            let seed = settings.seed
            let estimate: @Sendable (PluginStatistics) throws -> Estimate = { try $0.estimate(level: level, seed: seed) }
            let outcome = try runner.execute(
                kernels.singlePlugin(policy: policySampler, prior: priorSampler, vocabularySize: vocabularySize, noise: noise),
                totalSamples: rollouts, blockSize: blockSize, estimate: estimate)
            measured = Measurement(outcome, estimate: try estimate(outcome.statistics))

        case (.pointwise, true):
            let values = uniformPriorClassValues()
            let noise = self.noise
            func estimator(_ interval: Estimate.BinomialInterval) -> @Sendable (ClassCounts) throws -> Estimate {
                { counts in
                    try Self.estimateUniformPriorPointwise(counts, values: values, noise: noise, level: level, interval: interval)
                }
            }
            let estimate = estimator(settings.binomialInterval)
            // Rare events: the hits (classes 1 and 3).
            let hits: @Sendable (ClassCounts) -> UInt64 = { $0.counts.isEmpty ? 0 : $0.counts[1] + $0.counts[3] }
            let outcome = try runner.execute(
                kernels.singlePointwiseUniformPrior(policy: policySampler, vocabularySize: vocabularySize, noise: noise),
                totalSamples: rollouts, blockSize: blockSize, estimate: estimate, monitor: estimator(.clopperPearson),
                successes: hits)
            measured = Measurement(outcome, estimate: try estimate(outcome.statistics),
                                   histogram: binWidth == nil ? nil : .atoms(counts: outcome.statistics, values: values),
                                   largestShare: outcome.statistics.largestShareOfSquares(values: values))

        case (.pointwise, false):
            let table = pointwiseTable()
            guard case .alias(let priorTable) = try prior.makeSampler() else { fatalError("unreachable: the prior is not uniform") }
            let (hitRange, missRange) = pointwiseRanges(table)
            func estimator(_ interval: Estimate.BinomialInterval) -> @Sendable (StratifiedMoments) throws -> Estimate {
                { m in
                    try Estimate.rareEventMean(
                        rare: Stratum(m.rare, observed: m.rareRange, possible: hitRange),
                        common: Stratum(m.common, observed: m.commonRange, possible: missRange),
                        level: level, interval: interval, rareEvents: Self.rareEvents)
                }
            }
            let estimate = estimator(settings.binomialInterval)
            let outcome = try runner.execute(
                kernels.singlePointwise(policy: policySampler, prior: priorTable, noise: noise, table: table, center: exact,
                                        binWidth: binWidth),
                totalSamples: rollouts, blockSize: blockSize, estimate: estimate, monitor: estimator(.clopperPearson),
                successes: { $0.rare.count })
            measured = Measurement(outcome, estimate: try estimate(outcome.statistics), histogram: outcome.statistics.histogram,
                                   largestShare: outcome.statistics.largestShareOfSquares)

        case (_, let uniformPrior):
            // rb: h(q(T) (*) eps) - h(eps) per rollout; constant under a uniform prior.
            let table = uniformPrior ? [rbValue(0)] : (0..<Int(vocabularySize)).map(rbValue)
            // The values the policy can draw (a symbol of tiny policy mass
            // may not have been drawn yet).
            let drawable = table.indices.filter { uniformPrior || policy.probability($0) > 0 }.map { table[$0] }
            let range = drawable.min()!...drawable.max()!
            let split = RareValues.split(range)
            let threshold = uniformPrior ? Double.infinity : split.threshold
            let rareEvents = RareValues.description(split.threshold, unit: "rollouts")
            func estimator(_ interval: Estimate.BinomialInterval) -> @Sendable (StratifiedMoments) throws -> Estimate {
                { m in
                    if uniformPrior {
                        return Estimate(value: table[0], standardError: 0, low: table[0], high: table[0],
                                        level: level, method: .zeroVariance, samples: m.count)
                    }
                    return try Estimate.rareEventMean(
                        rare: Stratum(m.rare, observed: m.rareRange, possible: split.rare),
                        common: Stratum(m.common, observed: m.commonRange, possible: split.common),
                        level: level, interval: interval, rareEvents: rareEvents)
                }
            }
            let estimate = estimator(settings.binomialInterval)
            var rareCount: (@Sendable (StratifiedMoments) -> UInt64)?
            if !uniformPrior { rareCount = { (m: StratifiedMoments) -> UInt64 in m.rare.count } }
            let outcome = try runner.execute(
                kernels.singleRB(policy: policySampler, table: table, constant: uniformPrior, center: exact,
                                 rareThreshold: threshold, binWidth: binWidth),
                totalSamples: rollouts, blockSize: blockSize, estimate: estimate, monitor: estimator(.clopperPearson),
                successes: rareCount)
            let histogram: SurpriseHistogram? = binWidth == nil ? nil
                : uniformPrior ? .atoms([(table[0], outcome.samples)]) : outcome.statistics.histogram
            measured = Measurement(outcome, estimate: try estimate(outcome.statistics), histogram: histogram,
                                   largestShare: outcome.statistics.largestShareOfSquares)
        }

        var bounds = self.bounds
        if estimator == .plugin { bounds.append(("plugin_bias_vs_exact", measured.estimate.value - exact)) }
        return ChannelResult(
            channel: "single", parameters: parameters, estimator: estimator.rawValue,
            estimate: measured.estimate, exact: exact, bounds: bounds, boundEstimates: [], boundExacts: [],
            rollouts: measured.rollouts, warnings: [], seconds: measured.seconds, cpuSeconds: measured.cpuSeconds,
            throughputUnit: "rollouts", throughputUnits: Double(measured.rollouts), settings: settings,
            stoppedEarly: measured.stoppedEarly, histogram: measured.histogram, targetReached: measured.targetReached)
            .finished(bound: min(1, prior.entropy), largestShare: measured.largestShare)
    }

    /// Pointwise values of the four (hit, flip) classes at a symbol whose
    /// reward probability is a: class = hit + 2 flip. Impossible classes get 0.
    static func classValues(rewardProbability a: Double, noise: Double, priorMass q: Double) -> [Double] {
        func value(_ likelihood: Double, _ marginal: Double, possible: Bool) -> Double {
            guard possible, likelihood > 0, marginal > 0 else { return 0 }
            return log2(likelihood) - log2(marginal)
        }
        let canHit = q > 0
        let canMiss = q < 1
        let canFlip = noise > 0
        let canKeep = noise < 1
        return [
            // miss, kept: r = 0
            value(1 - noise, 1 - a, possible: canMiss && canKeep),
            // hit, kept: r = 1
            value(1 - noise, a, possible: canHit && canKeep),
            // miss, flipped: r = 1
            value(noise, a, possible: canMiss && canFlip),
            // hit, flipped: r = 0
            value(noise, 1 - a, possible: canHit && canFlip),
        ]
    }

    func uniformPriorClassValues() -> [Double] {
        let q = 1 / Double(vocabularySize)
        var values = Self.classValues(rewardProbability: Information.flip(q, noise), noise: noise, priorMass: q)
        if noise == 0 {
            // -log2(1 - 1/V) loses digits for large V in the generic form.
            values[0] = Information.minusLog2OneMinus(q)
            values[1] = log2(Double(vocabularySize))
        }
        return values
    }

    /// What the rare events of the pointwise estimator are.
    static let rareEvents = "hits (T = S)"

    /// The ranges of pointwise values a hit and a miss can take: over the
    /// symbols the policy can draw and the (hit, flip) classes possible
    /// there (nil where no hit, or no miss, can occur).
    func pointwiseRanges(_ table: [Double]) -> (hits: ClosedRange<Double>?, misses: ClosedRange<Double>?) {
        var low = [Double.infinity, .infinity], high = [-Double.infinity, -.infinity]
        for t in 0..<Int(vocabularySize) where policy.probability(t) > 0 {
            let q = prior.probability(t)
            let possible = [q < 1 && noise < 1, q > 0 && noise < 1, q < 1 && noise > 0, q > 0 && noise > 0]
            for c in 0..<4 where possible[c] {
                low[c & 1] = min(low[c & 1], table[t * 4 + c])
                high[c & 1] = max(high[c & 1], table[t * 4 + c])
            }
        }
        return (low[1] <= high[1] ? low[1]...high[1] : nil, low[0] <= high[0] ? low[0]...high[0] : nil)
    }

    func pointwiseTable() -> [Double] {
        var table = [Double](repeating: 0, count: Int(vocabularySize) * 4)
        for t in 0..<Int(vocabularySize) {
            let q = prior.probability(t)
            var values = Self.classValues(rewardProbability: rewardProbability(t), noise: noise, priorMass: q)
            if noise == 0 {
                values[0] = q < 1 ? Information.minusLog2OneMinus(q) : 0
                values[1] = q > 0 ? -log2(q) : 0
            }
            for c in 0..<4 { table[t * 4 + c] = values[c] }
        }
        return table
    }

    static func estimateUniformPriorPointwise(_ counts: ClassCounts, values: [Double], noise: Double, level: Double,
                                              interval: Estimate.BinomialInterval) throws -> Estimate {
        let n = counts.total
        if noise == 0 {
            // Affine in the number of successes: a count-based interval keeps
            // its coverage when successes are rare (V = 2^20: one per 10^6).
            return try Estimate.affineBinomial(offset: values[0], slope: values[1] - values[0],
                                               successes: counts.counts[1], trials: n, samples: n, level: level,
                                               interval: interval)
        }
        // Classes: (miss, kept), (hit, kept), (miss, flipped), (hit, flipped).
        // The hits are rare and carry most of the mean: a count interval on
        // them keeps the coverage when none or few have happened.
        return try Estimate.rareEventMean(counts, values: values, possible: [true, true, noise > 0, noise > 0],
                                          rare: [false, true, false, true], level: level, interval: interval,
                                          rareEvents: rareEvents)
    }
}

extension SingleChannel {
    public static let name = "single"
    public static let sampleName = "rollouts"
    public var sampleCount: UInt64 { rollouts }
    public func exactInformation() -> Double? { precomputedExact ?? exactValue() }

    /// The problem's rollouts as one group of K with this prior, policy and
    /// noise, one prompt per problem simulated.
    public static let measuresProblems = true

    public func problemChannel(samplesPerProblem: Int) throws -> (any Channel)? {
        guard estimator != .plugin else {
            throw RewardBitsError.invalidInput("\(Parameter.estimator) must be one of pointwise, rb (got 'plugin')")
        }
        return try GroupChannel(vocabularySize: vocabularySize, groupSize: samplesPerProblem, prompts: rollouts,
                                prior: prior.spec, policy: policy.spec, estimator: estimator, noise: noise)
    }

    public static let workloads: [Workload] = [
        Workload(name: "single", command: "estimate single --vocab 1024 --rollouts 1e9 --estimator pointwise",
                 unit: "rollouts", cReferencePerCore: 1.45e9, numpyPerCore: 1.1e8) { scale in
            let channel = try SingleChannel(vocabularySize: 1024, estimator: .pointwise, rollouts: Workload.scaled(1e9, scale))
            return { try channel.run(settings: $0) }
        },
    ]
}
