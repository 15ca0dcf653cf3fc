import Foundation

/// Which learner adapts across steps (`--learner`).
public enum LearnerKind: Sendable, Equatable, CustomStringConvertible {
    /// The fixed initial policy (`static`).
    case fixed
    /// pi_t proportional to the posterior to the power beta.
    case tempered(beta: Double)
    /// K untried tokens per step, without replacement (noiseless only).
    case elimination
    /// Each rollout drawn from the exact posterior (tempered at beta = 1).
    case thompson
    /// A tabular softmax policy moved by policy-gradient updates.
    case reinforce

    public init(parsing text: String) throws {
        switch text {
        case "static": self = .fixed
        case "elimination": self = .elimination
        case "thompson": self = .thompson
        case "reinforce": self = .reinforce
        default:
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "tempered", let beta = Double(parts[1]), beta.isFinite, beta > 0 else {
                throw RewardBitsError.invalidInput(
                    "\(Parameter.learner) must be static, tempered:BETA (BETA > 0), elimination, thompson or reinforce (got '\(text)')")
            }
            self = .tempered(beta: beta)
        }
    }

    public var description: String {
        switch self {
        case .fixed: return "static"
        case .tempered(let beta): return "tempered:" + String(format: "%g", beta)
        case .elimination: return "elimination"
        case .thompson: return "thompson"
        case .reinforce: return "reinforce"
        }
    }
}

/// `learner`: what a learner that adapts across `steps` rounds of K
/// rollouts on one prompt learns about the answer S, and what its policy
/// keeps.
///
/// The estimate is I(S; H_n), H_t the history (rollouts and rewards) after t
/// steps; `curve` gives I(S; H_t) for every t, each run adding
/// D(P(S | H_t) || q), the exact posterior's divergence from the prior
/// (Rao-Blackwellised over S). `kept` is E[log2 pi_n(S) - log2 q(S)], the
/// information in the learner's own policy after the last step: at most
/// I(S; H_n) by Gibbs' inequality, with equality when pi_n is the posterior,
/// and negative when the policy moved away from the answer; `efficiency` is
/// kept / I(S; H_n).
public struct LearnerChannel: Channel {
    public let vocabularySize: UInt64
    public let groupSize: Int
    public let steps: Int
    public let runs: UInt64
    public let prior: SymbolDistribution
    public let policy: SymbolDistribution
    public let noise: Double
    public let learner: LearnerKind
    /// The reinforce learner's update.
    public let advantage: Advantage
    public let baseline: Double
    public let learningRate: Double
    public let entropyBonus: Double
    var precomputedExact: Exact?

    public static let maximumVocabulary: UInt64 = 1 << 24
    public static let maximumSteps = 4096

    public init(vocabularySize: UInt64, groupSize: Int, steps: Int, runs: UInt64, prior: DistributionSpec = .uniform,
                policy: DistributionSpec = .uniform, noise: Double = 0, learner: LearnerKind,
                advantage: Advantage = .rloo, baseline: Double = 0, learningRate: Double = 1, entropyBonus: Double = 0) throws {
        try Validate.vocabulary(vocabularySize)
        guard vocabularySize <= Self.maximumVocabulary else {
            throw RewardBitsError.invalidInput("\(Parameter.vocabulary) must be at most 2^24 for the learner channel (got \(vocabularySize))")
        }
        try Validate.noise(noise)
        try Validate.count(runs, .runs, minimum: 2)
        guard groupSize >= 1 && groupSize <= 64 else {
            throw RewardBitsError.invalidInput("\(Parameter.groupSize) must be between 1 and 64 for the learner channel (got \(groupSize))")
        }
        guard steps >= 1 && steps <= Self.maximumSteps else {
            throw RewardBitsError.invalidInput("\(Parameter.steps) must be between 1 and 4096 (got \(steps))")
        }
        if learner == .elimination && noise > 0 {
            throw RewardBitsError.invalidInput("\(Parameter.learner) elimination rules out each token tried, which a noisy reward cannot: use \(Parameter.noise) 0 or another learner")
        }
        if learner == .reinforce {
            guard advantage != .perToken else {
                throw RewardBitsError.invalidInput("\(Parameter.advantage) per-token has no vocabulary learner: use reinforce, rloo or grpo")
            }
            guard advantage != .rloo || groupSize >= 2 else {
                throw RewardBitsError.invalidInput("\(Parameter.advantage) rloo needs \(Parameter.groupSize) >= 2")
            }
            guard learningRate.isFinite && learningRate > 0 else {
                throw RewardBitsError.invalidInput("\(Parameter.learningRate) must be a positive number (got \(learningRate))")
            }
            guard entropyBonus.isFinite && entropyBonus >= 0 else {
                throw RewardBitsError.invalidInput("\(Parameter.entropyBonus) must be a number >= 0 (got \(entropyBonus))")
            }
            guard baseline.isFinite, baseline == 0 || advantage == .reinforce else {
                throw RewardBitsError.invalidInput("\(Parameter.advantageBaseline) applies to \(Parameter.advantage) reinforce only")
            }
        } else if advantage != .rloo || baseline != 0 || learningRate != 1 || entropyBonus != 0 {
            throw RewardBitsError.invalidInput("\(Parameter.advantage), \(Parameter.advantageBaseline), \(Parameter.learningRate) and \(Parameter.entropyBonus) apply to \(Parameter.learner) reinforce only")
        }
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.steps = steps
        self.runs = runs
        self.prior = try SymbolDistribution(prior, vocabularySize: vocabularySize, option: .prior)
        self.policy = try SymbolDistribution(policy, vocabularySize: vocabularySize, option: .policy)
        self.noise = noise
        self.learner = learner
        self.advantage = advantage
        self.baseline = baseline
        self.learningRate = learningRate
        self.entropyBonus = entropyBonus
        if learner == .fixed || learner == .elimination || learner == .reinforce {
            for s in 0..<Int(vocabularySize) where self.prior.probability(s) > 0 && self.policy.probability(s) == 0 {
                throw RewardBitsError.invalidInput("\(Parameter.policy) gives the answer \(s) mass 0 where \(Parameter.prior) does not: the learner could never find it")
            }
        }
    }

    /// The exact curve, kept and efficiency, where known.
    public struct Exact: Sendable {
        public var curve: [Double?]
        public var kept: [Double?]
        public var efficiency: Double?
    }

    /// Exact values: `static` is the group channel at K t rollouts (any
    /// prior, policy and noise where that one has an exact value);
    /// `tempered`, `thompson` and `elimination` under a uniform prior
    /// without noise follow `LearnerExact`, and keep all they learn (their
    /// policy is the posterior). Thompson's policy is the posterior for any
    /// prior, so its kept equals its curve wherever that is known.
    public func exactValues() -> Exact {
        var curve = [Double?](repeating: nil, count: steps)
        var kept = [Double?](repeating: nil, count: steps)
        let v = Int(vocabularySize)
        let uniformNoiseless = prior.isUniform && noise == 0
        switch learner {
        case .fixed:
            if (prior.isUniform && policy.isUniform) || vocabularySize <= 12 {
                for t in 1...steps where groupSize * t <= 4096 {
                    curve[t - 1] = try? GroupChannel(vocabularySize: vocabularySize, groupSize: groupSize * t, prompts: 2,
                                                     prior: prior.spec, policy: policy.spec, noise: noise).exactInformation()
                }
            }
            var total = CompensatedSum()
            for s in 0..<v where prior.probability(s) > 0 {
                total.add(prior.probability(s) * log2(policy.probability(s) / prior.probability(s)))
            }
            kept = [Double?](repeating: total.value, count: steps)
        case .tempered, .thompson:
            if uniformNoiseless {
                curve = LearnerExact.uniformPriorCurve(vocabularySize: v, groupSize: groupSize, steps: steps,
                                                       learner: .posteriorSampling).map { $0 }
                kept = curve
            }
        case .elimination:
            if uniformNoiseless {
                curve = LearnerExact.uniformPriorCurve(vocabularySize: v, groupSize: groupSize, steps: steps,
                                                       learner: .elimination).map { $0 }
                if policy.isUniform { kept = curve }
            } else {
                // Once K t >= V every token was tried and S is known, for any prior.
                for t in 1...steps where groupSize * t >= v {
                    curve[t - 1] = prior.entropy
                    kept[t - 1] = prior.entropy
                }
            }
        case .reinforce:
            break
        }
        var efficiency: Double?
        if let k = kept[steps - 1], let i = curve[steps - 1], i > 0 { efficiency = k / i }
        return Exact(curve: curve, kept: kept, efficiency: efficiency)
    }

    /// Each step adds at most log2(K + 1) bits (the rewards depend on S only
    /// through which of the K rollouts, if any, is S), and all of them at most H(S).
    var informationBound: Double { min(Double(steps) * log2(Double(groupSize) + 1), prior.entropy) }

    public var bounds: [(String, Double)] {
        [("n_log2_K_plus_1", Double(steps) * log2(Double(groupSize) + 1)), ("H_S", prior.entropy)]
    }

    public func parameters(blockSize: UInt64) -> [(String, JSONValue)] {
        var p: [(String, JSONValue)] = [
            ("vocab", .unsigned(vocabularySize)), ("group", .integer(Int64(groupSize))), ("steps", .integer(Int64(steps))),
            ("runs", .unsigned(runs)), ("prior", .string(prior.spec.description)), ("policy", .string(policy.spec.description)),
            ("noise", .number(noise)), ("learner", .string(learner.description)),
        ]
        if learner == .reinforce {
            p += [("advantage", .string(advantage.rawValue)), ("baseline", .number(baseline)),
                  ("lr", .number(learningRate)), ("entropy_bonus", .number(entropyBonus))]
        }
        p += [("block_size", .unsigned(blockSize)), ("stream_format", .integer(Int64(StreamFormat.version)))]
        return p
    }

    public func precomputingExact() -> Self {
        var copy = self
        copy.precomputedExact = exactValues()
        return copy
    }

    public static let defaultBlockSize: UInt64 = 1 << 10

    var model: LearnerModel {
        let v = Int(vocabularySize)
        let kind: LearnerModel.Kind
        switch learner {
        case .fixed: kind = .fixed
        case .tempered(let beta): kind = .tempered(beta: beta)
        case .thompson: kind = .tempered(beta: 1)
        case .elimination: kind = .elimination
        case .reinforce:
            kind = .reinforce(rule: advantage.likelihoodRule!(baseline), learningRate: learningRate, entropyBonus: entropyBonus)
        }
        return LearnerModel(kind: kind, vocabularySize: v, groupSize: groupSize, steps: steps, noise: noise,
                            prior: (0..<v).map(prior.probability), policy: (0..<v).map(policy.probability))
    }

    public func run(settings: RunSettings) throws -> ChannelResult {
        guard settings.histogramBinWidth == nil else {
            throw RewardBitsError.invalidInput("\(Parameter.histogram) is not available for the learner channel")
        }
        let blockSize = settings.blockSize ?? Self.defaultBlockSize
        let parameters = parameters(blockSize: blockSize) + ChannelRun.runParameters(settings)
        let runner = ChannelRun(channel: Self.name, parameters: parameters, settings: settings)
        let exact = precomputedExact ?? exactValues()
        let level = settings.confidence
        let model = self.model
        let n = steps
        let qMin = model.prior.filter { $0 > 0 }.min()!
        let top = -log2(qMin)
        let informationRule = ValueRule(0...top, unit: "runs")
        // A policy can fall arbitrarily far below the prior at S: the kept
        // values' lowest possible value is the lowest seen.
        var keptRule = ValueRule(-top...top, bothSigns: true, unit: "runs")
        keptRule.openBelow = true
        let hitRule = ValueRule(0...1, unit: "runs")
        let rules = [ValueRule](repeating: informationRule, count: n) + [ValueRule](repeating: keptRule, count: n)
            + [ValueRule](repeating: hitRule, count: n)
        let centers = exact.curve.map { $0 ?? 0 } + exact.kept.map { $0 ?? 0 } + [Double](repeating: 0, count: n)
        let layout = ValueLayout(rules, centers: centers, pairs: [(model.valueIndex(kept: n - 1), model.valueIndex(information: n - 1))])
        let kernels = settings.kernels(as: (any LearnerKernelFactory.Type).self)
        let kernel = kernels.learner(model: model, prior: try prior.makeSampler(), policy: try policy.makeSampler(), layout: layout)
        let bound = informationBound
        let last = model.valueIndex(information: n - 1)
        func makeEstimate(_ interval: Estimate.BinomialInterval) -> @Sendable (MomentsVector) throws -> Estimate {
            { try informationRule.information($0.parts[last], bound: bound, level: level, interval: interval) }
        }
        let estimate = makeEstimate(settings.binomialInterval)
        let outcome = try runner.execute(kernel, totalSamples: runs, blockSize: blockSize, estimate: estimate,
                                         monitor: makeEstimate(.clopperPearson), successes: { $0.parts[last].rare.count },
                                         unitsPerSample: Double(groupSize * steps), unitName: "rollouts")
        let statistics = outcome.statistics
        let measured = Measurement(outcome, estimate: try estimate(statistics),
                                   largestShare: statistics.parts[last].largestShareOfSquares)
        var curve: [CurvePoint] = []
        var previous = (estimate: 0.0, exact: Double?(0))
        for t in 0..<n {
            let stepBound = min(Double(t + 1) * log2(Double(groupSize) + 1), prior.entropy)
            let e = try informationRule.information(statistics.parts[model.valueIndex(information: t)], bound: stepBound,
                                                    level: level, interval: settings.binomialInterval)
            let hits = statistics.parts[model.valueIndex(hitRate: t)]
            let x = exact.curve[t]
            let exactStep: Double? = x.flatMap { value in previous.exact.map { (value - $0) / Double(groupSize) } }
            curve.append(CurvePoint(step: t + 1, estimate: e, exact: x, extras: [
                ("bits_per_rollout", .number((e.value - previous.estimate) / Double(groupSize))),
                ("bits_per_rollout_exact", .optional(exactStep)),
                ("hit_rate", .number(hits.mean)),
            ]))
            previous = (e.value, x)
        }
        let keptEstimate = try keptRule.estimate(statistics.parts[model.valueIndex(kept: n - 1)], level: level,
                                                 interval: settings.binomialInterval)
        var named = [NamedEstimate("kept", keptEstimate, exact: exact.kept[n - 1])]
        if let efficiency = try statistics.ratioEstimate(model.valueIndex(kept: n - 1), over: last, level: level) {
            named.append(NamedEstimate("efficiency", efficiency, exact: exact.efficiency))
        }
        var result = ChannelResult(channel: Self.name, parameters: parameters, estimator: .rb, measured: measured,
                                   exact: exact.curve[n - 1], bounds: bounds, settings: settings)
        result.curve = curve
        result.namedEstimates = named
        return result.finished(bound: bound, largestShare: measured.largestShare)
    }
}

extension LearnerChannel {
    public static let name = "learner"
    public static let sampleName = "runs"
    public var sampleCount: UInt64 { runs }
    public func exactInformation() -> Double? { (precomputedExact ?? exactValues()).curve[steps - 1] }

    public var exactExtras: [(String, Double)] {
        let e = precomputedExact ?? exactValues()
        var extras: [(String, Double)] = []
        if let k = e.kept[steps - 1] { extras.append(("kept", k)) }
        if let x = e.efficiency { extras.append(("efficiency", x)) }
        return extras
    }

    public static let workloads: [Workload] = [
        Workload(name: "learner", command: "estimate learner --vocab 1024 --group 8 --steps 32 --learner reinforce --advantage rloo --lr 1 --runs 1e5",
                 unit: "rollouts", cReferencePerCore: nil, numpyPerCore: nil) { scale in
            let channel = try LearnerChannel(vocabularySize: 1024, groupSize: 8, steps: 32, runs: Workload.scaled(1e5, scale),
                                             learner: .reinforce, advantage: .rloo, learningRate: 1)
            return { try channel.run(settings: $0) }
        },
    ]
}
