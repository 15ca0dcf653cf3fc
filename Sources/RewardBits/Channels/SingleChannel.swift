import Foundation

/// `single`: one rollout T ~ pi, one binary reward r = 1{T == S} (flipped
/// with probability eps), S ~ q independent of T.
///
/// Exact value: I(S; T, r) = sum_t pi(t) [h(q(t) (*) eps) - h(eps)], and h(1/V)
/// for a uniform prior without noise (the seed's Fig. 5).
public struct SingleChannel: Sendable {
    public let vocabularySize: UInt64
    public let prior: SymbolDistribution
    public let policy: SymbolDistribution
    public let noise: Double
    public let estimator: EstimatorKind
    public let rollouts: UInt64

    public init(vocabularySize: UInt64, prior: DistributionSpec = .uniform, policy: DistributionSpec = .uniform,
                noise: Double = 0, estimator: EstimatorKind = .pointwise, rollouts: UInt64) throws {
        try Validate.vocabulary(vocabularySize)
        try Validate.noise(noise)
        try Validate.count(rollouts, option: "--rollouts", minimum: 2)
        guard estimator == .pointwise || estimator == .rb else {
            throw RewardBitsError.invalidInput("single supports --estimator pointwise or rb (got \(estimator.rawValue))")
        }
        self.vocabularySize = vocabularySize
        self.prior = try SymbolDistribution(prior, vocabularySize: vocabularySize, option: "--prior")
        self.policy = try SymbolDistribution(policy, vocabularySize: vocabularySize, option: "--policy")
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

    public func run(settings: RunSettings) throws -> ChannelResult {
        let blockSize = settings.blockSize ?? Self.defaultBlockSize
        let plan = BlockPlan(totalSamples: rollouts, blockSize: blockSize)
        let exact = exactValue()
        let policySampler = try policy.makeSampler()
        let estimate: Estimate
        let outcomeRollouts: UInt64
        let seconds: Double
        let cpuSeconds: Double

        switch (estimator, prior.isUniform) {
        case (.pointwise, true):
            let values = uniformPriorClassValues()
            let outcome: RunOutcome<ClassCounts>
            switch policySampler {
            case .uniform(let p):
                outcome = try Engine.run(SinglePointwiseUniformPriorKernel(policy: p, vocabularySize: vocabularySize, noise: noise),
                                         plan: plan, settings: settings)
            case .alias(let p):
                outcome = try Engine.run(SinglePointwiseUniformPriorKernel(policy: p, vocabularySize: vocabularySize, noise: noise),
                                         plan: plan, settings: settings)
            }
            estimate = try estimateUniformPriorPointwise(outcome.statistics, values: values, level: settings.confidence)
            (outcomeRollouts, seconds, cpuSeconds) = (outcome.rollouts, outcome.seconds, outcome.cpuSeconds)
        case (.pointwise, false):
            let table = pointwiseTable()
            let priorSampler = try prior.makeSampler()
            let outcome: RunOutcome<Moments>
            switch (policySampler, priorSampler) {
            case (.uniform(let p), .alias(let q)):
                outcome = try Engine.run(SinglePointwiseKernel(policy: p, prior: q, noise: noise, table: table, center: exact),
                                         plan: plan, settings: settings)
            case (.alias(let p), .alias(let q)):
                outcome = try Engine.run(SinglePointwiseKernel(policy: p, prior: q, noise: noise, table: table, center: exact),
                                         plan: plan, settings: settings)
            case (_, .uniform):
                fatalError("unreachable: the prior is not uniform")
            }
            let m = outcome.statistics
            estimate = try Estimate.studentT(mean: m.mean, variance: m.variance, samples: m.count, level: settings.confidence)
            (outcomeRollouts, seconds, cpuSeconds) = (outcome.rollouts, outcome.seconds, outcome.cpuSeconds)
        case (_, true):
            // rb under a uniform prior: every rollout has the same value.
            let value = rbValue(0)
            let outcome: RunOutcome<Moments>
            switch policySampler {
            case .uniform(let p):
                outcome = try Engine.run(SingleRBKernel(policy: p, table: [value], constant: true, center: exact),
                                         plan: plan, settings: settings)
            case .alias(let p):
                outcome = try Engine.run(SingleRBKernel(policy: p, table: [value], constant: true, center: exact),
                                         plan: plan, settings: settings)
            }
            let m = outcome.statistics
            estimate = Estimate(value: m.mean, standardError: 0, low: m.mean, high: m.mean,
                                level: settings.confidence, method: .zeroVariance, samples: m.count)
            (outcomeRollouts, seconds, cpuSeconds) = (outcome.rollouts, outcome.seconds, outcome.cpuSeconds)
        case (_, false):
            let table = (0..<Int(vocabularySize)).map(rbValue)
            let outcome: RunOutcome<Moments>
            switch policySampler {
            case .uniform(let p):
                outcome = try Engine.run(SingleRBKernel(policy: p, table: table, constant: false, center: exact),
                                         plan: plan, settings: settings)
            case .alias(let p):
                outcome = try Engine.run(SingleRBKernel(policy: p, table: table, constant: false, center: exact),
                                         plan: plan, settings: settings)
            }
            let m = outcome.statistics
            estimate = try Estimate.studentT(mean: m.mean, variance: m.variance, samples: m.count, level: settings.confidence)
            (outcomeRollouts, seconds, cpuSeconds) = (outcome.rollouts, outcome.seconds, outcome.cpuSeconds)
        }

        return ChannelResult(
            channel: "single", parameters: parameters(blockSize: blockSize), estimator: estimator.rawValue,
            estimate: estimate, exact: exact, bounds: bounds, boundEstimates: [], boundExacts: [],
            rollouts: outcomeRollouts, warnings: [], seconds: seconds, cpuSeconds: cpuSeconds,
            throughputUnit: "rollouts", throughputUnits: Double(outcomeRollouts), settings: settings)
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

    func estimateUniformPriorPointwise(_ counts: ClassCounts, values: [Double], level: Double) throws -> Estimate {
        let n = counts.total
        if noise == 0 {
            // Affine in the number of successes: a count-based interval keeps
            // its coverage when successes are rare (V = 2^20: one per 10^6).
            return try Estimate.affineBinomial(offset: values[0], slope: values[1] - values[0],
                                               successes: counts.counts[1], trials: n, samples: n, level: level)
        }
        // Classes: (miss, kept), (hit, kept), (miss, flipped), (hit, flipped).
        return try Estimate.classMean(counts, values: values, possible: [true, true, noise > 0, noise > 0], level: level)
    }
}

/// Pointwise kernel under a uniform prior: the value depends only on whether
/// the rollout hit S and whether its reward was flipped, so a block reduces
/// to four exact counts.
struct SinglePointwiseUniformPriorKernel<Policy: SymbolSampler>: BlockKernel {
    let policy: Policy
    let answers: UniformSymbols
    let flips: BernoulliWords?

    init(policy: Policy, vocabularySize: UInt64, noise: Double) {
        self.policy = policy
        answers = UniformSymbols(vocabularySize: vocabularySize)
        flips = noise > 0 ? BernoulliWords(probability: noise) : nil
    }

    func run<S: RandomStream & ~Copyable>(samples: Int, source: inout WordSource<S>) -> BlockResult<ClassCounts> {
        var counts = ClassCounts(classes: 4)
        var hitKept: UInt64 = 0, missKept: UInt64 = 0, hitFlipped: UInt64 = 0, missFlipped: UInt64 = 0
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 128) { buffer in
            let rollouts = buffer.baseAddress!
            let answersBuffer = rollouts + 64
            var done = 0
            while done < samples {
                let batch = min(64, samples - done)
                policy.fill(rollouts, count: batch, from: &source)
                answers.fill(answersBuffer, count: batch, from: &source)
                var hits: UInt64 = 0
                for j in 0..<batch where rollouts[j] == answersBuffer[j] {
                    hits |= 1 << UInt64(j)
                }
                let valid = batch == 64 ? UInt64.max : (UInt64(1) << UInt64(batch)) - 1
                let flipped = (flips?.word(&source) ?? 0) & valid
                hitKept += UInt64((hits & ~flipped).nonzeroBitCount)
                hitFlipped += UInt64((hits & flipped).nonzeroBitCount)
                missFlipped += UInt64((~hits & flipped).nonzeroBitCount)
                missKept += UInt64((~hits & ~flipped & valid).nonzeroBitCount)
                done += batch
            }
        }
        counts.counts = [missKept, hitKept, missFlipped, hitFlipped]
        return BlockResult(statistics: counts, rollouts: UInt64(samples))
    }
}

/// Pointwise kernel for any prior: S and T are drawn, the class (hit, flip)
/// found, and the value looked up in a per-symbol table.
struct SinglePointwiseKernel<Policy: SymbolSampler, Prior: SymbolSampler>: BlockKernel {
    let policy: Policy
    let prior: Prior
    let flips: BernoulliWords?
    /// table[4 t + class], class = hit + 2 flip.
    let table: [Double]
    let center: Double

    init(policy: Policy, prior: Prior, noise: Double, table: [Double], center: Double) {
        self.policy = policy
        self.prior = prior
        flips = noise > 0 ? BernoulliWords(probability: noise) : nil
        self.table = table
        self.center = center
    }

    func run<S: RandomStream & ~Copyable>(samples: Int, source: inout WordSource<S>) -> BlockResult<Moments> {
        var moments = Moments(center: center)
        table.withUnsafeBufferPointer { table in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 128) { buffer in
                let rollouts = buffer.baseAddress!
                let answers = rollouts + 64
                var done = 0
                while done < samples {
                    let batch = min(64, samples - done)
                    policy.fill(rollouts, count: batch, from: &source)
                    prior.fill(answers, count: batch, from: &source)
                    let flipped = flips?.word(&source) ?? 0
                    for j in 0..<batch {
                        let t = Int(rollouts[j])
                        let hit = rollouts[j] == answers[j] ? 1 : 0
                        let flip = Int((flipped >> UInt64(j)) & 1)
                        moments.add(table[4 * t + hit + 2 * flip])
                    }
                    done += batch
                }
            }
        }
        return BlockResult(statistics: moments, rollouts: UInt64(samples))
    }
}

/// Rao-Blackwellised kernel: the value h(q(T) (*) eps) - h(eps) of each
/// rollout T, from a per-symbol table (one entry when it is constant).
struct SingleRBKernel<Policy: SymbolSampler>: BlockKernel {
    let policy: Policy
    let table: [Double]
    let constant: Bool
    let center: Double

    func run<S: RandomStream & ~Copyable>(samples: Int, source: inout WordSource<S>) -> BlockResult<Moments> {
        var moments = Moments(center: center)
        table.withUnsafeBufferPointer { table in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { buffer in
                let rollouts = buffer.baseAddress!
                var done = 0
                while done < samples {
                    let batch = min(64, samples - done)
                    policy.fill(rollouts, count: batch, from: &source)
                    for j in 0..<batch {
                        moments.add(table[constant ? 0 : Int(rollouts[j])])
                    }
                    done += batch
                }
            }
        }
        return BlockResult(statistics: moments, rollouts: UInt64(samples))
    }
}
