import Foundation

/// `gradient`: the information in the policy-gradient update itself.
///
/// A tabular softmax policy pi over V tokens draws K rollouts per prompt
/// with binary rewards (flipped with probability eps) and is moved by
/// g = sum_i A_i grad log pi(T_i), the advantages A_i as `advantage` says;
/// or, with `per-token`, each rollout is T binary tokens against a hidden
/// target string (as in `token`) and each token's reward is its advantage.
/// The estimate is I(S; g); the components are I(S; g | T) (given the
/// rollouts), I(S; (T, r)) (the rewards' view: the group or token channel's
/// value), lost = I(S; (T, r)) - I(S; g | T) (what the update throws away)
/// and I(g; T) (how much of the update is about the rollouts);
/// `share_of_observation` is I(S; g) / I(S; (T, r)).
///
/// Every per-sample value is exact given the prompt (`GradientLikelihood`,
/// `PerTokenGradient`): a Kullback-Leibler divergence of the posterior of S
/// from the prior (Rao-Blackwellised over S), or log2 P(g | T) / P(g).
public struct GradientChannel: Channel {
    public let vocabularySize: UInt64
    public let groupSize: Int
    public let prior: SymbolDistribution
    public let policy: SymbolDistribution
    public let noise: Double
    public let advantage: Advantage
    public let baseline: Double
    /// Per-token: the rollouts' length T and the target bits' bias p.
    public let length: Int
    public let targetBias: Double
    public let prompts: UInt64
    var precomputedExact: Exact?

    public static let maximumVocabulary: UInt64 = 1 << 20
    public static let maximumGroupSize = 64
    public static let maximumNonUniformPolicyVocabulary: UInt64 = 1 << 16

    public init(vocabularySize: UInt64 = 2, groupSize: Int, prompts: UInt64, prior: DistributionSpec = .uniform,
                policy: DistributionSpec = .uniform, noise: Double = 0, advantage: Advantage, baseline: Double = 0,
                length: Int = 1, targetBias: Double = 0.5) throws {
        try Validate.noise(noise)
        try Validate.count(prompts, .prompts, minimum: 2)
        guard groupSize >= 1 && groupSize <= Self.maximumGroupSize else {
            throw RewardBitsError.invalidInput("\(Parameter.groupSize) must be between 1 and 64 for the gradient channel (got \(groupSize))")
        }
        guard advantage != .rloo || groupSize >= 2 else {
            throw RewardBitsError.invalidInput("\(Parameter.advantage) rloo needs \(Parameter.groupSize) >= 2 (a leave-one-out mean of no rollouts)")
        }
        guard baseline.isFinite else {
            throw RewardBitsError.invalidInput("\(Parameter.advantageBaseline) must be a finite number (got \(baseline))")
        }
        guard baseline == 0 || advantage == .reinforce else {
            throw RewardBitsError.invalidInput("\(Parameter.advantageBaseline) applies to \(Parameter.advantage) reinforce only")
        }
        if advantage == .perToken {
            guard length >= 1 && length <= TokenChannel.maximumLength else {
                throw RewardBitsError.invalidInput("\(Parameter.length) must be between 1 and 65536 (got \(length))")
            }
            try Validate.probability(targetBias, .targetBias)
            guard prior == .uniform && policy == .uniform else {
                throw RewardBitsError.invalidInput("\(Parameter.advantage) per-token has target bits of bias \(Parameter.targetBias) and fair policy bits; drop \(Parameter.prior) and \(Parameter.policy)")
            }
        } else {
            try Validate.vocabulary(vocabularySize)
            guard vocabularySize <= Self.maximumVocabulary else {
                throw RewardBitsError.invalidInput("\(Parameter.vocabulary) must be at most 2^20 = 1048576 for the gradient channel (got \(vocabularySize)): each update's posterior is exact")
            }
            if policy != .uniform {
                guard vocabularySize <= Self.maximumNonUniformPolicyVocabulary else {
                    throw RewardBitsError.invalidInput("\(Parameter.vocabulary) must be at most 65536 with a non-uniform \(Parameter.policy) (got \(vocabularySize)): each prompt's posterior then costs V K^2 operations")
                }
            }
            guard length == 1 else {
                throw RewardBitsError.invalidInput("\(Parameter.length) applies to \(Parameter.advantage) per-token only")
            }
        }
        self.vocabularySize = advantage == .perToken ? 2 : vocabularySize
        self.groupSize = groupSize
        self.prior = try SymbolDistribution(advantage == .perToken ? .uniform : prior, vocabularySize: self.vocabularySize, option: .prior)
        self.policy = try SymbolDistribution(advantage == .perToken ? .uniform : policy, vocabularySize: self.vocabularySize, option: .policy)
        self.noise = noise
        self.advantage = advantage
        self.baseline = baseline
        self.length = length
        self.targetBias = targetBias
        self.prompts = prompts
    }

    /// The exact values where known (nil entries where not).
    public struct Exact: Sendable {
        public var gradient: Double?
        public var givenRollouts: Double?
        public var observation: Double?
        public var lost: Double?
        public var aboutRollouts: Double?
    }

    /// Per-token: T times the exact per-position values, for any K and T.
    /// Otherwise: enumeration for small V and K (`GradientExact`), the
    /// noiseless closed forms for any V, and the group channel's value for
    /// the observation.
    public func exactValues() -> Exact {
        if advantage == .perToken {
            let e = PerTokenGradient(groupSize: groupSize, targetBias: targetBias, noise: noise).exact
            let t = Double(length)
            return Exact(gradient: t * e.gradient, givenRollouts: t * e.givenRollouts, observation: t * e.observation,
                         lost: t * e.lost, aboutRollouts: t * e.aboutRollouts)
        }
        let v = Int(vocabularySize)
        let q = (0..<v).map(prior.probability), pi = (0..<v).map(policy.probability)
        if let e = GradientExact.information(prior: q, policy: pi, groupSize: groupSize, noise: noise,
                                             advantage: advantage, baseline: baseline) {
            return Exact(gradient: e.gradient, givenRollouts: e.givenRollouts, observation: e.observation, lost: e.lost,
                         aboutRollouts: e.aboutRollouts)
        }
        let observation = try? GroupChannel(vocabularySize: vocabularySize, groupSize: groupSize, prompts: 2,
                                            prior: prior.spec, policy: policy.spec, noise: noise).exactInformation()
        var exact = Exact(observation: observation ?? nil)
        if noise == 0, let o = exact.observation,
           let closed = GradientExact.noiseless(prior: q, policy: pi, groupSize: groupSize, advantage: advantage,
                                                 baseline: baseline, observation: o) {
            exact.gradient = closed.gradient
            exact.givenRollouts = closed.givenRollouts
            exact.lost = closed.lost
        }
        return exact
    }

    /// Every component carries at most log2(K + 1) bits about S (it depends
    /// on S only through which of the K rollouts, if any, is S) and at most
    /// H(S); per-token, at most 1 bit per position.
    var informationBound: Double {
        advantage == .perToken ? Double(length) : min(log2(Double(groupSize) + 1), prior.entropy)
    }

    public var bounds: [(String, Double)] {
        advantage == .perToken ? [("T_bits", Double(length))]
            : [("log2_K_plus_1", log2(Double(groupSize) + 1)), ("H_S", prior.entropy)]
    }

    public func parameters(blockSize: UInt64) -> [(String, JSONValue)] {
        var p: [(String, JSONValue)]
        if advantage == .perToken {
            p = [("length", .integer(Int64(length))), ("target_bias", .number(targetBias))]
        } else {
            p = [("vocab", .unsigned(vocabularySize)), ("prior", .string(prior.spec.description)),
                 ("policy", .string(policy.spec.description))]
        }
        p += [("group", .integer(Int64(groupSize))), ("prompts", .unsigned(prompts)), ("noise", .number(noise)),
              ("advantage", .string(advantage.rawValue))]
        if advantage == .reinforce { p.append(("baseline", .number(baseline))) }
        p += [("block_size", .unsigned(blockSize)), ("stream_format", .integer(Int64(StreamFormat.version)))]
        return p
    }

    public func precomputingExact() -> Self {
        var copy = self
        copy.precomputedExact = exactValues()
        return copy
    }

    /// The components' names in JSON, in the kernels' value order after the
    /// estimate (I(S; g)).
    static let componentNames = ["given_rollouts", "observation", "lost", "about_rollouts"]

    /// The rules of the five per-sample values.
    func valueRules(perToken table: PerTokenGradient?) -> [ValueRule] {
        if let table {
            let t = Double(length)
            func range(_ f: (PerTokenGradient.Quantities) -> Double) -> ClosedRange<Double> {
                let values = table.values.enumerated().filter { i, _ in
                    let l = table.outcomes[i].likelihood
                    return l.0 + l.1 > 0
                }.map { f($0.1) }
                return min(0, t * values.min()!)...max(0, t * values.max()!)
            }
            return [ValueRule(range(\.gradient), unit: "prompts"), ValueRule(range(\.givenRollouts), unit: "prompts"),
                    ValueRule(range(\.observation), unit: "prompts"), ValueRule(range(\.lost), bothSigns: true, unit: "prompts"),
                    ValueRule(range(\.aboutRollouts), bothSigns: true, unit: "prompts")]
        }
        // A posterior's divergence from the prior is at most log2(1 / q_min).
        let v = Int(vocabularySize)
        let qMin = (0..<v).map(prior.probability).filter { $0 > 0 }.min()!
        let top = -log2(qMin)
        let piMin = (0..<v).map(policy.probability).filter { $0 > 0 }.min()!
        // log2 P(g | T) / P(g) <= -log2 P(g), and P(g) is at least one
        // configuration's probability: pi_min^K q_min min(eps, 1 - eps)^K.
        let flipBits = noise > 0 ? -log2(noise) : 0
        let aboutTop = Double(groupSize) * (-log2(piMin) + flipBits) + top
        return [ValueRule(0...top, unit: "prompts"), ValueRule(0...top, unit: "prompts"), ValueRule(0...top, unit: "prompts"),
                ValueRule(-top...top, bothSigns: true, unit: "prompts"),
                ValueRule(-aboutTop...aboutTop, bothSigns: true, unit: "prompts")]
    }

    public static let defaultBlockSize: UInt64 = 1 << 12

    public func run(settings: RunSettings) throws -> ChannelResult {
        guard settings.histogramBinWidth == nil else {
            throw RewardBitsError.invalidInput("\(Parameter.histogram) is not available for the gradient channel")
        }
        let blockSize = settings.blockSize ?? Self.defaultBlockSize
        let parameters = parameters(blockSize: blockSize) + ChannelRun.runParameters(settings)
        let runner = ChannelRun(channel: Self.name, parameters: parameters, settings: settings)
        let exact = precomputedExact ?? exactValues()
        let level = settings.confidence
        let perToken = advantage == .perToken
            ? PerTokenGradient(groupSize: groupSize, targetBias: targetBias, noise: noise) : nil
        let rules = valueRules(perToken: perToken)
        let exacts = [exact.gradient, exact.givenRollouts, exact.observation, exact.lost, exact.aboutRollouts]
        // I(S; g) and I(S; (T, r)) from the same prompts: their ratio's
        // interval uses their covariance.
        let layout = ValueLayout(rules, centers: exacts.map { $0 ?? 0 }, pairs: [(0, 2)])
        let kernels = settings.kernels(as: (any GradientKernelFactory.Type).self)
        let kernel: any BlockKernel<MomentsVector>
        if let perToken {
            kernel = kernels.gradientPerToken(model: perToken, length: length, layout: layout)
        } else {
            let v = Int(vocabularySize)
            let model = GradientLikelihood(
                vocabularySize: v, groupSize: groupSize, noise: noise, rule: advantage.likelihoodRule!(baseline),
                prior: prior.isUniform ? nil : (0..<v).map(prior.probability),
                policy: policy.isUniform ? nil : (0..<v).map(policy.probability))
            kernel = kernels.gradientVocabulary(model: model, prior: try prior.makeSampler(), policy: try policy.makeSampler(),
                                                layout: layout)
        }
        let bound = informationBound
        func makeEstimate(_ interval: Estimate.BinomialInterval) -> @Sendable (MomentsVector) throws -> Estimate {
            { try rules[0].information($0.parts[0], bound: bound, level: level, interval: interval) }
        }
        let estimate = makeEstimate(settings.binomialInterval)
        let outcome = try runner.execute(kernel, totalSamples: prompts, blockSize: blockSize, estimate: estimate,
                                         monitor: makeEstimate(.clopperPearson), successes: { $0.parts[0].rare.count },
                                         unitsPerSample: Double(groupSize))
        let statistics = outcome.statistics
        let measured = Measurement(outcome, estimate: try estimate(statistics),
                                   largestShare: statistics.parts[0].largestShareOfSquares)
        var components: [NamedEstimate] = []
        for (i, name) in Self.componentNames.enumerated() {
            let part = statistics.parts[i + 1]
            let e = name == "about_rollouts"
                ? try rules[i + 1].information(part, bound: .infinity, level: level, interval: settings.binomialInterval)
                : try rules[i + 1].information(part, bound: bound, level: level, interval: settings.binomialInterval)
            components.append(NamedEstimate(name, e, exact: exacts[i + 1]))
        }
        var named: [NamedEstimate] = []
        if let e = try statistics.ratioEstimate(0, over: 2, level: level, within: 0...1) {
            let exactShare = exact.gradient.flatMap { g in exact.observation.flatMap { $0 > 0 ? g / $0 : nil } }
            named.append(NamedEstimate("share_of_observation", e, exact: exactShare))
        }
        var result = ChannelResult(channel: Self.name, parameters: parameters, estimator: .rb, measured: measured,
                                   exact: exact.gradient, bounds: bounds, settings: settings)
        result.components = components
        result.namedEstimates = named
        return result.finished(bound: bound, largestShare: measured.largestShare)
    }
}

extension GradientChannel {
    public static let name = "gradient"
    public static let sampleName = "prompts"
    public var sampleCount: UInt64 { prompts }
    public func exactInformation() -> Double? { (precomputedExact ?? exactValues()).gradient }

    public var exactExtras: [(String, Double)] {
        let e = precomputedExact ?? exactValues()
        let pairs: [(String, Double?)] = [("given_rollouts", e.givenRollouts), ("observation", e.observation),
                                          ("lost", e.lost), ("about_rollouts", e.aboutRollouts)]
        return pairs.compactMap { name, value in value.map { (name, $0) } }
    }

    public static let workloads: [Workload] = [
        Workload(name: "gradient", command: "estimate gradient --vocab 1024 --group 8 --noise 0.1 --advantage rloo --prompts 2e5",
                 unit: "rollouts", cReferencePerCore: nil, numpyPerCore: nil) { scale in
            let channel = try GradientChannel(vocabularySize: 1024, groupSize: 8, prompts: Workload.scaled(2e5, scale),
                                              noise: 0.1, advantage: .rloo)
            return { try channel.run(settings: $0) }
        },
    ]
}
