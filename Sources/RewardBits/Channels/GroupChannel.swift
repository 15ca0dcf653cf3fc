import Foundation

/// `group`: K rollouts T_1..T_K ~ pi per prompt, rewards r_i = 1{T_i == S}.
///
/// Exact value (no noise): E[H(r | T)] = sum_t (1 - (1 - pi_t)^K) phi(q_t)
/// + E[psi(Q)], Q the prior mass of the distinct tokens; for uniform q and pi
/// E[f(M)] over the occupancy distribution of M, the number of distinct
/// tokens. Bounds: log2(M + 1) per prompt, log2(K + 1) overall.
public struct GroupChannel: Sendable {
    public let vocabularySize: UInt64
    public let groupSize: Int
    public let prompts: UInt64
    public let prior: SymbolDistribution
    public let policy: SymbolDistribution
    public let estimator: EstimatorKind
    /// Verifier noise: each reward flipped with this probability.
    public let noise: Double

    public static let maximumGroupSize = 1 << 20

    public init(vocabularySize: UInt64, groupSize: Int, prompts: UInt64, prior: DistributionSpec = .uniform,
                policy: DistributionSpec = .uniform, estimator: EstimatorKind = .rb, noise: Double = 0) throws {
        try Validate.noise(noise)
        self.noise = noise
        try Validate.vocabulary(vocabularySize)
        guard groupSize >= 1 else {
            throw RewardBitsError.invalidInput("--group must be at least 1 (got \(groupSize))")
        }
        guard groupSize <= Self.maximumGroupSize else {
            throw RewardBitsError.invalidInput("--group must be at most 2^20 = \(Self.maximumGroupSize) (got \(groupSize))")
        }
        try Validate.count(prompts, option: "--prompts", minimum: 2)
        guard estimator == .pointwise || estimator == .rb else {
            throw RewardBitsError.invalidInput("group supports --estimator rb or pointwise (got \(estimator.rawValue))")
        }
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.prompts = prompts
        self.prior = try SymbolDistribution(prior, vocabularySize: vocabularySize, option: "--prior")
        self.policy = try SymbolDistribution(policy, vocabularySize: vocabularySize, option: "--policy")
        self.estimator = estimator
    }

    /// Samples (prompts) per block: about 2^20 rollouts.
    public var defaultBlockSize: UInt64 {
        BlockPlan.powerOfTwoBlockSize(target: Double(1 << 20) / Double(groupSize))
    }

    /// Exact values where they can be computed.
    public struct ExactValues: Sendable {
        public var information: Double?
        public var meanLog2DistinctPlus1: Double?
    }

    /// Exact E[I] and E[log2(M + 1)] where they can be computed. Noise does
    /// not change the tokens, so E[log2(M + 1)] is the noiseless one.
    public func exactValues() -> ExactValues {
        var noiseless: (information: Double, meanLog2DistinctPlus1: Double)?
        var q: [Double] = [], pi: [Double] = []
        if prior.isUniform && policy.isUniform {
            noiseless = GroupExact.uniform(vocabularySize: vocabularySize, groupSize: groupSize)
        } else if vocabularySize <= 24 || pow(Double(vocabularySize), Double(groupSize)) <= GroupExact.tupleLimit {
            let v = Int(vocabularySize)
            q = (0..<v).map(prior.probability)
            pi = (0..<v).map(policy.probability)
            noiseless = GroupExact.subsets(prior: q, policy: pi, groupSize: groupSize)
                ?? GroupExact.tuples(prior: q, policy: pi, groupSize: groupSize)
        }
        guard noise > 0 else {
            return ExactValues(information: noiseless?.information, meanLog2DistinctPlus1: noiseless?.meanLog2DistinctPlus1)
        }
        var information: Double?
        if prior.isUniform && policy.isUniform {
            information = GroupExact.uniformNoisy(vocabularySize: vocabularySize, groupSize: groupSize, noise: noise)
        } else if !q.isEmpty {
            information = GroupExact.tuplesNoisy(prior: q, policy: pi, groupSize: groupSize, noise: noise)
        }
        return ExactValues(information: information, meanLog2DistinctPlus1: noiseless?.meanLog2DistinctPlus1)
    }

    public func exactValue() -> Double? { exactValues().information }

    public var bounds: [(String, Double)] {
        [("log2_K_plus_1", log2(Double(groupSize) + 1)), ("K_bits", Double(groupSize))]
    }

    public func parameters(blockSize: UInt64) -> [(String, JSONValue)] {
        [("vocab", .unsigned(vocabularySize)), ("group", .integer(Int64(groupSize))), ("prompts", .unsigned(prompts)),
         ("prior", .string(prior.spec.description)), ("policy", .string(policy.spec.description)),
         ("noise", .number(noise)), ("estimator", .string(estimator.rawValue)),
         ("block_size", .unsigned(blockSize)), ("stream_format", .integer(Int64(StreamFormat.version)))]
    }

    public func run(settings: RunSettings) throws -> ChannelResult {
        let blockSize = settings.blockSize ?? defaultBlockSize
        let parameters = parameters(blockSize: blockSize) + ChannelRun.runParameters(settings)
        let runner = ChannelRun(channel: "group", parameters: parameters, settings: settings)
        let exact = exactValues()
        let k = groupSize
        let level = settings.confidence
        let binWidth = settings.histogramBinWidth
        let pointwise = estimator == .pointwise
        let policySampler = try policy.makeSampler()
        let hashed = vocabularySize > BitmapDistinctSet.maximumVocabulary
        let units = Double(k)
        // Exact class counts (uniform prior, no noise) or moments of the value.
        let byClass = prior.isUniform && noise == 0
        let values = byClass ? uniformPriorClassValues(pointwise: pointwise) : []
        let possible = byClass ? possibleClasses(pointwise: pointwise) : []
        let estimate: @Sendable (GroupStatistics) throws -> Estimate = { statistics in
            if byClass {
                return try Estimate.classMean(statistics.classes, values: values, possible: possible, level: level)
            }
            return try Estimate.studentT(mean: statistics.moments.mean, variance: statistics.moments.variance,
                                         samples: statistics.moments.count, level: level)
        }
        // Pointwise under a uniform prior is a rare-event estimator: S must be
        // among the tokens (odd classes count hits).
        var hits: (@Sendable (GroupStatistics) -> UInt64)?
        if byClass && pointwise {
            hits = { statistics in
                var total: UInt64 = 0
                for (c, n) in statistics.classes.counts.enumerated() where c % 2 == 1 { total += n }
                return total
            }
        }
        let center = exact.information ?? 0
        var priorAlias: AliasTable?
        if !prior.isUniform, case .alias(let table) = try prior.makeSampler() { priorAlias = table }

        func execute<K: BlockKernel>(_ kernel: K) throws -> RunOutcome<GroupStatistics> where K.Statistics == GroupStatistics {
            try runner.execute(kernel, totalSamples: prompts, blockSize: blockSize, estimate: estimate, successes: hits,
                               unitsPerSample: units)
        }
        let outcome: RunOutcome<GroupStatistics>
        if noise > 0 {
            switch policySampler {
            case .uniform(let p):
                outcome = try execute(GroupNoisyKernel(
                    policy: p, prior: priorAlias, priorProbabilities: prior.probabilities, vocabularySize: vocabularySize,
                    groupSize: k, noise: noise, pointwise: pointwise, center: center, binWidth: binWidth))
            case .alias(let p):
                outcome = try execute(GroupNoisyKernel(
                    policy: p, prior: priorAlias, priorProbabilities: prior.probabilities, vocabularySize: vocabularySize,
                    groupSize: k, noise: noise, pointwise: pointwise, center: center, binWidth: binWidth))
            }
        } else if prior.isUniform {
            switch (policySampler, hashed) {
            case (.uniform(let p), false):
                outcome = try execute(GroupUniformPriorKernel<UniformSymbols, BitmapDistinctSet>(
                    policy: p, vocabularySize: vocabularySize, groupSize: k, pointwise: pointwise))
            case (.uniform(let p), true):
                outcome = try execute(GroupUniformPriorKernel<UniformSymbols, HashedDistinctSet>(
                    policy: p, vocabularySize: vocabularySize, groupSize: k, pointwise: pointwise))
            case (.alias(let p), false):
                outcome = try execute(GroupUniformPriorKernel<AliasTable, BitmapDistinctSet>(
                    policy: p, vocabularySize: vocabularySize, groupSize: k, pointwise: pointwise))
            case (.alias(let p), true):
                outcome = try execute(GroupUniformPriorKernel<AliasTable, HashedDistinctSet>(
                    policy: p, vocabularySize: vocabularySize, groupSize: k, pointwise: pointwise))
            }
        } else {
            let priorSampler = priorAlias!
            let probabilities = prior.probabilities!
            switch (policySampler, hashed) {
            case (.uniform(let p), false):
                outcome = try execute(GroupKernel<UniformSymbols, BitmapDistinctSet>(
                    policy: p, prior: priorSampler, priorProbabilities: probabilities, vocabularySize: vocabularySize,
                    groupSize: k, pointwise: pointwise, center: center, binWidth: binWidth))
            case (.uniform(let p), true):
                outcome = try execute(GroupKernel<UniformSymbols, HashedDistinctSet>(
                    policy: p, prior: priorSampler, priorProbabilities: probabilities, vocabularySize: vocabularySize,
                    groupSize: k, pointwise: pointwise, center: center, binWidth: binWidth))
            case (.alias(let p), false):
                outcome = try execute(GroupKernel<AliasTable, BitmapDistinctSet>(
                    policy: p, prior: priorSampler, priorProbabilities: probabilities, vocabularySize: vocabularySize,
                    groupSize: k, pointwise: pointwise, center: center, binWidth: binWidth))
            case (.alias(let p), true):
                outcome = try execute(GroupKernel<AliasTable, HashedDistinctSet>(
                    policy: p, prior: priorSampler, priorProbabilities: probabilities, vocabularySize: vocabularySize,
                    groupSize: k, pointwise: pointwise, center: center, binWidth: binWidth))
            }
        }

        let statistics = outcome.statistics
        let histogram: SurpriseHistogram? = binWidth == nil ? nil
            : byClass ? .atoms(counts: statistics.classes, values: values) : statistics.moments.histogram
        let measured = Measurement(outcome, estimate: try estimate(statistics), histogram: histogram)
        let distinctCounts = statistics.distinctCounts(groupSize: k, pointwise: byClass && pointwise)
        let logEstimate = try Estimate.classMean(distinctCounts, values: (0...k).map { log2(Double($0 + 1)) },
                                                 possible: possibleClasses(pointwise: false), level: level)

        var bounds = self.bounds
        bounds.insert(("mean_log2_M_plus_1", logEstimate.value), at: 1)
        var boundExacts: [(String, Double)] = []
        if let meanLog = exact.meanLog2DistinctPlus1 { boundExacts.append(("mean_log2_M_plus_1", meanLog)) }
        return ChannelResult(
            channel: "group", parameters: parameters, estimator: estimator.rawValue,
            estimate: measured.estimate, exact: exact.information, bounds: bounds,
            boundEstimates: [("mean_log2_M_plus_1", logEstimate)], boundExacts: boundExacts,
            rollouts: measured.rollouts, warnings: [], seconds: measured.seconds, cpuSeconds: measured.cpuSeconds,
            throughputUnit: "rollouts", throughputUnits: Double(measured.rollouts), settings: settings,
            stoppedEarly: measured.stoppedEarly, histogram: measured.histogram)
    }

    /// Which classes can occur: 1 <= M <= min(K, V); a hit needs M >= 1 and a
    /// miss needs M < V.
    func possibleClasses(pointwise: Bool) -> [Bool] {
        let largest = Int(min(UInt64(groupSize), vocabularySize))
        if !pointwise { return (0...groupSize).map { $0 >= 1 && $0 <= largest } }
        var possible: [Bool] = []
        for m in 0...groupSize {
            let reachable = m >= 1 && m <= largest
            possible.append(reachable && UInt64(m) < vocabularySize)
            possible.append(reachable)
        }
        return possible
    }

    /// Values per class under a uniform prior. rb: class M -> f(M).
    /// pointwise: class 2M + hit -> log2 V on a hit, -log2(1 - M/V) otherwise.
    func uniformPriorClassValues(pointwise: Bool) -> [Double] {
        if !pointwise {
            return (0...groupSize).map { GroupExact.uniformInformation(distinct: $0, vocabularySize: vocabularySize) }
        }
        var values: [Double] = []
        for m in 0...groupSize {
            values.append(Information.minusLog2OneMinus(Double(m) / Double(vocabularySize)))
            values.append(log2(Double(vocabularySize)))
        }
        return values
    }
}

/// A group block's statistics: exact counts per class (M, or M and hit under
/// a uniform prior) and, for a non-uniform prior, the moments of the value.
public struct GroupStatistics: SufficientStatistics, Equatable {
    public var classes = ClassCounts()
    public var moments = Moments()

    public init() {}

    public mutating func merge(_ next: GroupStatistics) {
        classes.merge(next.classes)
        moments.merge(next.moments)
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(classes)
        writer.write(moments)
    }

    public init(from reader: inout BinaryReader) throws {
        classes = try reader.read()
        moments = try reader.read()
    }

    /// Counts per M = 0...K, folding the hit flag away when present.
    func distinctCounts(groupSize: Int, pointwise: Bool) -> ClassCounts {
        guard pointwise else { return classes }
        var folded = ClassCounts(classes: groupSize + 1)
        for m in 0...groupSize { folded.counts[m] = classes.counts[2 * m] + classes.counts[2 * m + 1] }
        return folded
    }
}

/// Number of tokens a group kernel draws per batch (whole prompts).
private func groupBatchPrompts(_ k: Int) -> Int { max(1, 4096 / k) }

/// Uniform prior: the value depends on M (rb) or on M and whether S was drawn
/// (pointwise), so a block reduces to integer counts per class.
struct GroupUniformPriorKernel<Policy: SymbolSampler, Distinct: DistinctSet>: BlockKernel {
    let policy: Policy
    let answers: UniformSymbols
    let vocabularySize: UInt64
    let groupSize: Int
    let pointwise: Bool

    init(policy: Policy, vocabularySize: UInt64, groupSize: Int, pointwise: Bool) {
        self.policy = policy
        self.answers = UniformSymbols(vocabularySize: vocabularySize)
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.pointwise = pointwise
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<GroupStatistics> {
        let k = groupSize
        let batchPrompts = groupBatchPrompts(k)
        var statistics = GroupStatistics()
        var counts = [UInt64](repeating: 0, count: (k + 1) * (pointwise ? 2 : 1))
        var distinct = Distinct(vocabularySize: vocabularySize, groupSize: k)
        let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: batchPrompts * k)
        counts.withUnsafeMutableBufferPointer { counts in
            var done = 0
            while done < samples {
                let batch = min(batchPrompts, samples - done)
                policy.fill(tokens, count: batch * k, from: &source)
                for prompt in 0..<batch {
                    let group = tokens + prompt * k
                    var m = 0
                    for i in 0..<k where distinct.insert(group[i]) { m += 1 }
                    if pointwise {
                        let answer = answers.draw(&source)
                        counts[2 * m + (distinct.contains(answer) ? 1 : 0)] += 1
                    } else {
                        counts[m] += 1
                    }
                    distinct.reset(group, count: k)
                }
                done += batch
            }
        }
        tokens.deallocate()
        distinct.release()
        statistics.classes.counts = counts
        return BlockResult(statistics: statistics, rollouts: UInt64(samples) * UInt64(k))
    }
}

/// Any prior: rb accumulates H(r | T) = sum_{d in D} phi(q_d) + psi(Q) per
/// prompt; pointwise draws S and takes -log2 q(S) on a hit, -log2(1 - Q)
/// otherwise. Counts per M are kept for the log2(M + 1) bound.
struct GroupKernel<Policy: SymbolSampler, Distinct: DistinctSet>: BlockKernel {
    let policy: Policy
    let prior: AliasTable
    let priorProbabilities: [Double]
    let phiTable: [Double]
    let surpriseTable: [Double]
    let vocabularySize: UInt64
    let groupSize: Int
    let pointwise: Bool
    let center: Double
    let binWidth: Double?

    init(policy: Policy, prior: AliasTable, priorProbabilities: [Double], vocabularySize: UInt64,
         groupSize: Int, pointwise: Bool, center: Double, binWidth: Double?) {
        self.binWidth = binWidth
        self.policy = policy
        self.prior = prior
        self.priorProbabilities = priorProbabilities
        phiTable = pointwise ? [] : priorProbabilities.map(Information.phi)
        surpriseTable = pointwise ? priorProbabilities.map { $0 > 0 ? -log2($0) : 0 } : []
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.pointwise = pointwise
        self.center = center
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<GroupStatistics> {
        let k = groupSize
        let batchPrompts = groupBatchPrompts(k)
        var statistics = GroupStatistics()
        var moments = Moments(center: center, binWidth: binWidth)
        var counts = [UInt64](repeating: 0, count: k + 1)
        var distinct = Distinct(vocabularySize: vocabularySize, groupSize: k)
        let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: batchPrompts * k)
        counts.withUnsafeMutableBufferPointer { counts in
            priorProbabilities.withUnsafeBufferPointer { q in
                phiTable.withUnsafeBufferPointer { phi in
                    surpriseTable.withUnsafeBufferPointer { surprise in
                        var done = 0
                        while done < samples {
                            let batch = min(batchPrompts, samples - done)
                            policy.fill(tokens, count: batch * k, from: &source)
                            for prompt in 0..<batch {
                                let group = tokens + prompt * k
                                var m = 0
                                var mass = 0.0
                                var entropy = 0.0
                                for i in 0..<k {
                                    let t = group[i]
                                    if distinct.insert(t) {
                                        m += 1
                                        mass += q[Int(t)]
                                        if !pointwise { entropy += phi[Int(t)] }
                                    }
                                }
                                if pointwise {
                                    let answer = prior.draw(&source)
                                    moments.add(distinct.contains(answer)
                                                ? surprise[Int(answer)] : Information.minusLog2OneMinus(min(mass, 1.0.nextDown)))
                                } else {
                                    moments.add(entropy + Information.psi(mass))
                                }
                                counts[m] += 1
                                distinct.reset(group, count: k)
                            }
                            done += batch
                        }
                    }
                }
            }
        }
        tokens.deallocate()
        distinct.release()
        statistics.classes.counts = counts
        statistics.moments = moments
        return BlockResult(statistics: statistics, rollouts: UInt64(samples) * UInt64(k))
    }
}
