import Foundation

/// `group`: K rollouts T_1..T_K ~ pi per prompt, rewards r_i = 1{T_i == S}.
///
/// Exact value (no noise): E[H(r | T)] = sum_t (1 - (1 - pi_t)^K) phi(q_t)
/// + E[psi(Q)], Q the prior mass of the distinct tokens; for uniform q and pi
/// E[f(M)] over the occupancy distribution of M, the number of distinct
/// tokens. Bounds: log2(M + 1) per prompt, log2(K + 1) overall.
public struct GroupChannel: Channel {
    public let vocabularySize: UInt64
    public let groupSize: Int
    public let prompts: UInt64
    public let prior: SymbolDistribution
    public let policy: SymbolDistribution
    public let estimator: EstimatorKind
    /// Verifier noise: each reward flipped with this probability.
    public let noise: Double
    /// The exact value, computed once for runs that repeat a spec (the
    /// coverage study) instead of at every run.
    var precomputedExact: ExactValues?

    public static let maximumGroupSize = 1 << 20

    public init(vocabularySize: UInt64, groupSize: Int, prompts: UInt64, prior: DistributionSpec = .uniform,
                policy: DistributionSpec = .uniform, estimator: EstimatorKind = .rb, noise: Double = 0) throws {
        try Validate.noise(noise)
        self.noise = noise
        try Validate.vocabulary(vocabularySize)
        guard groupSize >= 1 else {
            throw RewardBitsError.invalidInput("\(Parameter.groupSize) must be at least 1 (got \(groupSize))")
        }
        guard groupSize <= Self.maximumGroupSize else {
            throw RewardBitsError.invalidInput("\(Parameter.groupSize) must be at most 2^20 = \(Self.maximumGroupSize) (got \(groupSize))")
        }
        try Validate.count(prompts, .prompts, minimum: 2)
        guard !prompts.multipliedReportingOverflow(by: UInt64(groupSize)).overflow else {
            throw RewardBitsError.invalidInput(
                "\(Parameter.prompts) \(prompts) x \(Parameter.groupSize) \(groupSize) rollouts would overflow the 64-bit rollout count; lower \(Parameter.prompts)")
        }
        guard estimator == .pointwise || estimator == .rb else {
            throw RewardBitsError.invalidInput("group supports \(Parameter.estimator) rb or pointwise (got \(estimator.rawValue))")
        }
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.prompts = prompts
        self.prior = try SymbolDistribution(prior, vocabularySize: vocabularySize, option: .prior)
        self.policy = try SymbolDistribution(policy, vocabularySize: vocabularySize, option: .policy)
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

    /// This channel with its exact value computed now, for many runs.
    public func precomputingExact() -> Self {
        var copy = self
        copy.precomputedExact = exactValues()
        return copy
    }

    public func run(settings: RunSettings) throws -> ChannelResult {
        let blockSize = settings.blockSize ?? defaultBlockSize
        let parameters = parameters(blockSize: blockSize) + ChannelRun.runParameters(settings)
        let runner = ChannelRun(channel: Self.name, parameters: parameters, settings: settings)
        let exact = precomputedExact ?? exactValues()
        let k = groupSize
        let level = settings.confidence
        let binWidth = settings.histogramBinWidth
        let pointwise = estimator == .pointwise
        let policySampler = try policy.makeSampler()
        let units = Double(k)
        // Exact class counts (uniform prior, no noise) or moments of the value.
        let byClass = prior.isUniform && noise == 0
        let values = byClass ? uniformPriorClassValues(pointwise: pointwise) : []
        let possible = byClass ? possibleClasses(pointwise: pointwise) : []
        let interval = settings.binomialInterval
        // Pointwise classes are 2M + hit: the odd ones are the rare hits.
        let hitClasses = values.indices.map { pointwise && $0 % 2 == 1 }
        let (hitRange, missRange) = pointwise ? pointwiseRanges() : (nil, nil)
        // rb: a prompt carries at most min(log2(K + 1), H(S)) bits, and without
        // noise at least 0. With noise it can carry less than 0 (a flip can
        // make the rewards look like no class): never less than f log2 rho
        // with f <= K flips and rho = eps / (1 - eps) (see `pointwiseRanges`),
        // so values below -1/64 of the top are rare events too.
        let rbTop = min(log2(Double(k) + 1), prior.entropy)
        let rbSplit = RareValues.split(0...rbTop)
        let flips = flipTail()
        let rbFloor = flips.floor
        let rbBelow = noise > 0 ? -rbSplit.threshold : -Double.infinity
        let rbRare = noise > 0 ? rbFloor...rbTop : rbSplit.rare
        let rbCommon = noise > 0 ? rbBelow...rbSplit.threshold : rbSplit.common
        let rbRareEvents = noise > 0
            ? "prompts worth more than \(String(format: "%.3g", rbSplit.threshold)) bits or less than \(String(format: "%.3g", rbBelow)) (1/64 of the most one can carry)"
            : RareValues.description(rbSplit.threshold, unit: "prompts")
        func makeEstimate(_ interval: Estimate.BinomialInterval) -> @Sendable (GroupStatistics) throws -> Estimate {
            { statistics in
                if byClass {
                    return try Estimate.rareEventMean(statistics.classes, values: values, possible: possible,
                                                      rare: hitClasses, level: level, interval: interval,
                                                      rareEvents: Self.rareEvents)
                }
                let v = statistics.values
                var e = try Estimate.rareEventMean(
                    rare: Stratum(v.rare, observed: v.rareRange, possible: pointwise ? hitRange : rbRare),
                    common: Stratum(v.common, observed: v.commonRange, possible: pointwise ? missRange : rbCommon),
                    level: level, interval: interval, rareEvents: pointwise ? Self.rareEvents : rbRareEvents)
                // Prompts with more flips than the floor allows for.
                e.low -= flips.below
                e.high += flips.above
                return e
            }
        }
        let estimate = makeEstimate(interval)
        // The pointwise estimator's rare events: S among the tokens (odd
        // classes under a uniform prior without noise, else the hit stratum).
        var hits: (@Sendable (GroupStatistics) -> UInt64)?
        if !byClass {
            hits = { $0.values.rare.count }
        } else if pointwise {
            hits = { statistics in
                var total: UInt64 = 0
                for (c, n) in statistics.classes.counts.enumerated() where c % 2 == 1 { total += n }
                return total
            }
        }
        let center = exact.information ?? 0
        var priorAlias: AliasTable?
        if !prior.isUniform, case .alias(let table) = try prior.makeSampler() { priorAlias = table }

        let kernels = settings.kernels(as: (any GroupKernelFactory.Type).self)
        let kernel: any BlockKernel<GroupStatistics>
        if noise > 0 {
            kernel = kernels.groupNoisy(
                policy: policySampler, prior: priorAlias, priorProbabilities: prior.probabilities, vocabularySize: vocabularySize,
                groupSize: k, noise: noise, pointwise: pointwise, center: center, rareThreshold: rbSplit.threshold,
                rareBelow: rbBelow, binWidth: binWidth)
        } else if prior.isUniform {
            kernel = kernels.groupUniformPrior(policy: policySampler, vocabularySize: vocabularySize, groupSize: k,
                                               pointwise: pointwise)
        } else {
            kernel = kernels.group(
                policy: policySampler, prior: priorAlias!, priorProbabilities: prior.probabilities!,
                vocabularySize: vocabularySize, groupSize: k, pointwise: pointwise, center: center,
                rareThreshold: rbSplit.threshold, binWidth: binWidth)
        }
        // The stop rule reads the Clopper-Pearson form, as in `single`: cheaper
        // than Blaker's at every merge, and never narrower.
        let outcome = try runner.execute(kernel, totalSamples: prompts, blockSize: blockSize, estimate: estimate,
                                         monitor: makeEstimate(.clopperPearson), successes: hits, unitsPerSample: units)

        let statistics = outcome.statistics
        let histogram: SurpriseHistogram? = binWidth == nil ? nil
            : byClass ? .atoms(counts: statistics.classes, values: values) : statistics.values.histogram
        let measured = Measurement(outcome, estimate: try estimate(statistics), histogram: histogram,
                                   largestShare: byClass ? statistics.classes.largestShareOfSquares(values: values)
                                       : statistics.values.largestShareOfSquares)
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
            stoppedEarly: measured.stoppedEarly, histogram: measured.histogram, targetReached: measured.targetReached)
            .finished(bound: min(log2(Double(groupSize) + 1), prior.entropy), largestShare: measured.largestShare)
            .withBitsPerRollout(groupSize: k, exact: exact.information)
    }

    /// What the rare events of the pointwise estimator are.
    static let rareEvents = "hits (S among the K rollouts)"

    /// The ranges of a prompt's pointwise value on a hit and on a miss.
    ///
    /// i = log2 P(S | r, T) - log2 q(S) <= -log2 q(S). Without noise a hit is
    /// worth exactly -log2 q(S) and a miss -log2(1 - Q) >= 0, Q < 1 - q(S).
    /// With noise, P(r | S, T) / P(r | T) >= rho^K with rho = eps / (1 - eps)
    /// (the answer's class disagrees with r in at most K more places than
    /// any other class), so i >= K log2 rho.
    func pointwiseRanges() -> (hits: ClosedRange<Double>?, misses: ClosedRange<Double>?) {
        var smallest = Double.infinity, largest = 0.0  // prior masses of the symbols a hit can be
        var smallestPrior = Double.infinity
        for s in 0..<Int(min(vocabularySize, prior.isUniform && policy.isUniform ? 1 : vocabularySize)) {
            let q = prior.probability(s)
            guard q > 0 else { continue }
            smallestPrior = min(smallestPrior, q)
            guard policy.probability(s) > 0 else { continue }
            smallest = min(smallest, q)
            largest = max(largest, q)
        }
        guard smallest <= largest else { return (nil, nil) }
        let hitTop = -log2(smallest), missTop = -log2(smallestPrior)
        let floor = flipTail().floor
        let hits = noise > 0 ? floor...hitTop : -log2(largest)...hitTop
        return (hits, floor...max(floor, missTop))
    }

    /// How low a noisy prompt's value can go, for the interval's extremes.
    ///
    /// A prompt with f flipped rewards is worth at least f log2 rho (pointwise
    /// and rb alike; see `pointwiseRanges`), and f ~ Binomial(K, eps). The
    /// floor K log2 rho is reached with probability eps^K: taking it as the
    /// most extreme value would make every interval as wide as that
    /// impossibility. So the floor is f0 log2 rho for the least f0 whose
    /// tail the model bounds below 1e-12 bits: prompts with f >= f0 move the
    /// mean down by at most `below` = E[f 1{f >= f0}] |log2 rho| and up by at
    /// most `above` = P(f >= f0) log2(K + 1), which the interval adds to its
    /// ends.
    func flipTail() -> (floor: Double, below: Double, above: Double) {
        guard noise > 0 else { return (0, 0, 0) }
        let logRho = log2(noise) - log2(1 - noise)
        let k = groupSize
        func mass(_ j: Int) -> Double {
            exp(lgamma(Double(k + 1)) - lgamma(Double(j + 1)) - lgamma(Double(k - j + 1))
                + Double(j) * log(noise) + Double(k - j) * log1p(-noise))
        }
        // Tails from the top down: E[f 1{f >= j}] and P(f >= j).
        var tailMean = 0.0, tailMass = 0.0
        var f0 = k + 1
        var below = 0.0, above = 0.0
        for j in stride(from: k, through: 1, by: -1) {
            let m = mass(j)
            let nextMean = tailMean + Double(j) * m, nextMass = tailMass + m
            guard nextMean * -logRho <= 1e-12 else { break }
            (tailMean, tailMass, f0) = (nextMean, nextMass, j)
            below = tailMean * -logRho
            above = tailMass * log2(Double(k) + 1)
        }
        return (Double(min(f0, k)) * logRho, below, above)
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

extension GroupChannel {
    public static let name = "group"
    public static let sampleName = "prompts"
    public var sampleCount: UInt64 { prompts }
    public func exactInformation() -> Double? { (precomputedExact ?? exactValues()).information }

    public var exactExtras: [(String, Double)] {
        (precomputedExact ?? exactValues()).meanLog2DistinctPlus1.map { [("mean_log2_M_plus_1", $0)] } ?? []
    }

    public static let measuresProblems = true

    /// This group itself, when K is the problem's sample count.
    public func problemChannel(samplesPerProblem: Int) throws -> (any Channel)? {
        guard groupSize == samplesPerProblem else {
            throw RewardBitsError.invalidInput(
                "a problem's \(samplesPerProblem) samples are measured together as one group: \(Parameter.groupSize) must be \(Parameter.samples), \(samplesPerProblem), or left out (got \(groupSize))")
        }
        return self
    }

    public static let workloads: [Workload] = [
        Workload(name: "group", command: "estimate group --vocab 1024 --group 32 --prompts 1e8",
                 unit: "rollouts", cReferencePerCore: 1.75e9, numpyPerCore: 2.6e8) { scale in
            let channel = try GroupChannel(vocabularySize: 1024, groupSize: 32, prompts: Workload.scaled(1e8, scale))
            return { try channel.run(settings: $0) }
        },
        Workload(name: "group-zipf",
                 command: "estimate group --vocab 65536 --group 32 --prompts 1e8 --prior zipf:1.1 --policy zipf:1.1",
                 unit: "rollouts", cReferencePerCore: nil, numpyPerCore: nil) { scale in
            let channel = try GroupChannel(vocabularySize: 65536, groupSize: 32, prompts: Workload.scaled(1e8, scale),
                                           prior: .zipf(1.1), policy: .zipf(1.1))
            return { try channel.run(settings: $0) }
        },
    ]
}

extension ChannelResult {
    /// The estimate divided by K, with its interval: what one rollout of the
    /// group carries on average (`bits_per_rollout` in the JSON and CSV).
    func withBitsPerRollout(groupSize k: Int, exact: Double?) -> ChannelResult {
        var result = self
        let f = 1 / Double(k)
        result.namedEstimates.append(NamedEstimate(
            "bits_per_rollout", estimate.scaled(by: f, samples: estimate.samples, value: estimate.value * f),
            exact: exact.map { $0 * f }))
        return result
    }
}
