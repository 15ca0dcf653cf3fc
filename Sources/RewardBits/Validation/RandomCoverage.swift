import Dispatch
import Foundation

/// The randomized coverage study (`validate coverage --random N`): settings
/// drawn at random from the whole space (every channel and estimator, V, K,
/// T, priors and policies, noise, reward modes, and sample counts from below
/// one expected rare event to thousands), each run over many seeds, and the
/// fraction of intervals that contain the exact value (or a reference value
/// where none is known). A list of validated rows cannot prove an interval
/// rule; a sample of the space can find where it fails.
public enum RandomCoverage {
    /// How much one replicate may cost.
    public struct Limits: Sendable {
        /// Most samples (rollouts, prompts, episodes, positives) per replicate.
        public var samples: UInt64
        /// Most work per replicate, in noiseless rollouts (a token reward of
        /// an aggregate reward counts 4, a rollout of a noisy group 100: the
        /// exact noisy likelihoods cost that much more).
        public var work: Double
        /// Most rollouts of the reference run for settings without an exact value.
        public var referenceWork: Double

        public init(samples: UInt64, work: Double, referenceWork: Double) {
            self.samples = samples
            self.work = work
            self.referenceWork = referenceWork
        }

        /// The full tier: up to 1e8 samples per replicate, about 0.02 s of work.
        public static let full = Limits(samples: 100_000_000, work: 3e7, referenceWork: 3e9)
        /// CI's fast tier.
        public static let fast = Limits(samples: 1_000_000, work: 2e6, referenceWork: 2e8)
    }

    /// One drawn setting.
    public struct Setting: Sendable {
        public let index: Int
        public let channel: String
        public let estimator: String
        /// The `rewardbits` arguments that run one replicate (its seed aside).
        public let command: String
        public let samples: UInt64
        /// N times the model's probability of a rare event per sample (hit,
        /// rewarded checkpoint, flip); nil where the estimator has none.
        public let expectedRareEvents: Double?
        public let exact: Double?
        /// For estimates affine in one binomial count: its p and trials, for
        /// the count interval's exact coverage.
        public let affineCount: (p: Double, trials: UInt64)?
        let run: @Sendable (RunSettings) throws -> ChannelResult
        /// Where no exact value is known: a low-variance run on seeds apart
        /// from the replicates' (samples given).
        let reference: (@Sendable (RunSettings, UInt64) throws -> Estimate)?
        let referencePerSample: Double
    }

    /// A setting's outcome.
    public struct Outcome: Sendable {
        public var setting: Setting
        public var replicates: Int
        public var covered: Int
        public var coverage: Double { Double(covered) / Double(replicates) }
        public var coverageLow: Double
        public var coverageHigh: Double
        /// The value the intervals should contain and where it came from.
        public var target: Double
        public var targetIsReference: Bool
        public var referenceStandardError: Double?
        /// Replicates whose interval was conservative, a reach toward unseen
        /// values or of zero width.
        public var flagged: Int
        public var medianHalfWidth: Double
        /// The median half-width over 1.96 times the spread of the
        /// replicates' estimates (the interval that knows the true standard
        /// deviation); nil where the estimates did not vary.
        public var oracleRatio: Double?
        /// The count interval's exact coverage for affine-in-a-count estimates.
        public var exactCountCoverage: Double?
        public var methods: [String: Int]
        public var seconds: Double
        /// The replicates' mean count of rare events, where the interval
        /// rule counted them.
        public var observedRareEvents: Double?
        /// Replicates whose reported interval left [0, bound] (must be 0).
        public var outOfRange: Int = 0

        /// Rare events expected per replicate: from the model where it gives
        /// them, else the replicates' mean count.
        public var expectedRareEvents: Double? { setting.expectedRareEvents ?? observedRareEvents }

        public var isFlagged: Bool { 2 * flagged >= replicates }
        public var region: String { RandomCoverage.region(expectedRareEvents) }

        /// Coverage above 0.99 is over-coverage unless few rare events are
        /// expected or the intervals say they are conservative.
        public var overCovers: Bool {
            coverage > 0.99 && !isFlagged && (expectedRareEvents ?? .infinity) >= 30
        }

        /// With 30 or more rare events expected, the interval stays within
        /// 3x the one that knows the standard deviation.
        public var tooWide: Bool {
            (expectedRareEvents ?? 0) >= 30 && (oracleRatio ?? 0) > 3
        }

        public var json: JSONValue {
            .object([
                ("setting", .integer(Int64(setting.index))), ("channel", .string(setting.channel)),
                ("estimator", .string(setting.estimator)), ("command", .string(setting.command)),
                ("samples", .unsigned(setting.samples)), ("expected_rare_events", .optional(expectedRareEvents)),
                ("model_rare_events", .optional(setting.expectedRareEvents)), ("observed_rare_events", .optional(observedRareEvents)),
                ("region", .string(region)), ("replicates", .integer(Int64(replicates))),
                ("covered", .integer(Int64(covered))), ("coverage", .number(coverage)),
                ("coverage_ci", .array([.number(coverageLow), .number(coverageHigh)])),
                ("target", .number(target)), ("target_is_reference", .bool(targetIsReference)),
                ("reference_stderr", .optional(referenceStandardError)), ("flagged", .integer(Int64(flagged))),
                ("median_halfwidth", .number(medianHalfWidth)), ("oracle_ratio", .optional(oracleRatio)),
                ("exact_count_coverage", .optional(exactCountCoverage)),
                ("methods", .object(methods.keys.sorted().map { ($0, .integer(Int64(methods[$0]!))) })),
                ("out_of_range", .integer(Int64(outOfRange))), ("seconds", .number(seconds)),
                ("version", RewardBitsVersion.json),
            ])
        }
    }

    static func region(_ expected: Double?) -> String {
        guard let e = expected else { return "no rare events" }
        switch e {
        case ..<1: return "rare < 1"
        case ..<30: return "rare 1-30"
        case ..<1000: return "rare 30-1000"
        default: return "rare >= 1000"
        }
    }

    // MARK: - Drawing settings

    /// A counter-based stream of draws for the study's own choices.
    struct Draws {
        let key: UInt64
        var counter: UInt64 = 0
        init(seed: UInt64, index: Int) { key = SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(index) &+ 0x5EED)) }
        mutating func next() -> UInt64 {
            counter &+= 1
            return SplitMix64.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15)
        }
        /// Uniform in [0, 1).
        mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }
        mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }
        mutating func logUniform(_ a: Double, _ b: Double) -> Double { exp(uniform(log(a), log(b))) }
        /// An integer log-uniform in [a, b].
        mutating func logInteger(_ a: Int, _ b: Int) -> Int {
            min(b, max(a, Int(logUniform(Double(a), Double(b) + 1).rounded(.down))))
        }
        mutating func pick<T>(_ options: [T]) -> T { options[Int(next() % UInt64(options.count))] }
        mutating func normal() -> Double {
            let u = max(uniform(), 1e-300), v = uniform()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    /// Draws `count` settings from `seed`. Random `file:` weights are written
    /// under `folder`.
    public static func settings(count: Int, seed: UInt64, limits: Limits, folder: String) throws -> [Setting] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var result: [Setting] = []
        var index = 0
        var attempts = 0
        while result.count < count {
            attempts += 1
            guard attempts < 100 * count + 100 else {
                throw RewardBitsError.numerical("the coverage study could not draw \(count) settings within its limits")
            }
            var draws = Draws(seed: seed, index: index)
            index += 1
            if let setting = try draw(&draws, index: result.count, limits: limits, folder: folder) {
                result.append(setting)
            }
        }
        return result
    }

    /// A distribution for a prior or policy: uniform, zipf:s with s in
    /// [0.5, 2], or random log-normal weights in a file.
    static func distribution(_ draws: inout Draws, vocabularySize v: UInt64, path: String) throws -> DistributionSpec {
        switch draws.next() % 3 {
        case 0: return .uniform
        case 1: return .zipf((draws.uniform(0.5, 2) * 100).rounded() / 100)
        default:
            let sigma = draws.uniform(0.5, 3)
            var text = ""
            text.reserveCapacity(Int(v) * 12)
            for _ in 0..<v { text += String(format: "%.6g\n", exp(sigma * draws.normal())) }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return .file(path)
        }
    }

    static func noise(_ draws: inout Draws) -> Double {
        draws.next() % 2 == 0 ? 0 : (draws.logUniform(1e-4, 0.25) * 1e6).rounded() / 1e6
    }

    /// N for a rare-event rate: the expected count log-uniform in [0.3, 1e4];
    /// without rare events, N log-uniform in [1e3, 1e6]; within the limits.
    static func sampleCount(_ draws: inout Draws, rarePerSample: Double?, workPerSample: Double, limits: Limits) -> UInt64 {
        let wanted: Double
        if let rate = rarePerSample, rate > 0 {
            wanted = draws.logUniform(0.3, 1e4) / rate
        } else {
            wanted = draws.logUniform(1e3, 1e6)
        }
        let cap = min(Double(limits.samples), limits.work / max(workPerSample, 1))
        return UInt64(max(100, min(wanted, cap)).rounded())
    }

    /// A prior, a policy, noise and an estimator for `single` or `group`.
    static func model(_ draws: inout Draws, vocabularySize v: UInt64, file: (String) -> String) throws
        -> (prior: DistributionSpec, policy: DistributionSpec, noise: Double, estimator: EstimatorKind,
            q: SymbolDistribution, pi: SymbolDistribution) {
        let prior = try distribution(&draws, vocabularySize: v, path: file("prior"))
        let policy = try distribution(&draws, vocabularySize: v, path: file("policy"))
        let eps = noise(&draws)
        let estimator: EstimatorKind = draws.pick([.pointwise, .rb])
        return (prior, policy, eps, estimator, try SymbolDistribution(prior, vocabularySize: v, option: .prior),
                try SymbolDistribution(policy, vocabularySize: v, option: .policy))
    }

    static func draw(_ draws: inout Draws, index: Int, limits: Limits, folder: String) throws -> Setting? {
        func file(_ role: String) -> String { "\(folder)/setting\(index)-\(role).txt" }
        switch draws.pick(["single", "group", "token", "sft", "gradient", "learner"]) {
        case "gradient":
            return try drawGradient(&draws, index: index, limits: limits, file: file)
        case "learner":
            return try drawLearner(&draws, index: index, limits: limits, file: file)
        case "single":
            let v = UInt64(draws.logInteger(2, 1 << 20))
            let (prior, policy, eps, estimator, q, pi) = try model(&draws, vocabularySize: v, file: file)
            let hit = hitProbability(prior: q, policy: pi, groupSize: 1)
            let n = sampleCount(&draws, rarePerSample: estimator == .pointwise ? hit : nil, workPerSample: 1, limits: limits)
            let channel = try SingleChannel(vocabularySize: v, prior: prior, policy: policy, noise: eps, estimator: estimator,
                                            rollouts: n).precomputingExact()
            let affine = estimator == .pointwise && q.isUniform && eps == 0 ? (1 / Double(v), n) : nil
            return Setting(
                index: index, channel: "single", estimator: estimator.rawValue,
                command: "estimate single --vocab \(v) --prior \(prior) --policy \(policy) --noise \(eps) --estimator \(estimator.rawValue) --rollouts \(n)",
                samples: n, expectedRareEvents: estimator == .pointwise ? Double(n) * hit : nil, exact: channel.exactValue(),
                affineCount: affine, run: { try channel.run(settings: $0) }, reference: nil, referencePerSample: 1)
        case "group":
            let v = UInt64(draws.logInteger(2, 1 << 20))
            let k = draws.logInteger(1, 256)
            let (prior, policy, eps, estimator, q, pi) = try model(&draws, vocabularySize: v, file: file)
            let hit = hitProbability(prior: q, policy: pi, groupSize: k)
            // The noisy kernel costs about a hundred noiseless rollouts per rollout.
            let work = Double(k) * (eps > 0 ? 100 : 1)
            let n = sampleCount(&draws, rarePerSample: estimator == .pointwise ? hit : nil, workPerSample: work, limits: limits)
            let channel = try GroupChannel(vocabularySize: v, groupSize: k, prompts: n, prior: prior, policy: policy,
                                           estimator: estimator, noise: eps).precomputingExact()
            let exact = channel.exactValue()
            var reference: (@Sendable (RunSettings, UInt64) throws -> Estimate)?
            if exact == nil {
                // rb on seeds apart from the replicates'.
                reference = { settings, samples in
                    try GroupChannel(vocabularySize: v, groupSize: k, prompts: samples, prior: prior, policy: policy,
                                     estimator: .rb, noise: eps).run(settings: settings).estimate
                }
            }
            return Setting(
                index: index, channel: "group", estimator: estimator.rawValue,
                command: "estimate group --vocab \(v) --group \(k) --prior \(prior) --policy \(policy) --noise \(eps) --estimator \(estimator.rawValue) --prompts \(n)",
                samples: n, expectedRareEvents: estimator == .pointwise ? Double(n) * hit : nil, exact: exact,
                affineCount: nil, run: { try channel.run(settings: $0) }, reference: reference, referencePerSample: work)
        case "token":
            let t = draws.logInteger(1, 1024)
            let p = draws.next() % 2 == 0 ? 0.5 : (draws.uniform(0.02, 0.98) * 100).rounded() / 100
            let eps = noise(&draws)
            let reward: TokenReward
            switch draws.next() % 5 {
            case 0: reward = .perToken
            case 1, 2:
                // C in 1..24 (at most T), preferring one that does not divide T.
                var c = 1 + Int(draws.next() % UInt64(min(24, t)))
                for _ in 0..<8 where t % c == 0 && t > 2 { c = 1 + Int(draws.next() % UInt64(min(24, t))) }
                reward = .checkpoint(c)
            case 3: reward = .sum
            default:
                var b = 1 + Int(draws.next() % 8)
                for _ in 0..<8 where t % ((1 << b) - 1) == 0 && t > 3 { b = 1 + Int(draws.next() % 8) }
                reward = .graded(b)
            }
            var rare: Double?
            var affine: (p: Double, trials: UInt64)?
            // Checkpoints: the rule's rare outcomes are counted per block
            // (the study reports their observed mean).
            switch reward {
            case .perToken where p == 0.5 && eps > 0:
                rare = -expm1(Double(t) * log1p(-eps))
            default:
                break
            }
            let aggregate = reward != .perToken
            var rarePerSample = rare
            if case .checkpoint(let c) = reward {
                // For N: a block of n tokens is rewarded with probability
                // 2^-n for any p and eps (x is a fair coin).
                var none = pow(1 - pow(2, -Double(c)), Double(t / c))
                if t % c != 0 { none *= 1 - pow(2, -Double(t % c)) }
                rarePerSample = 1 - none
            }
            let n = sampleCount(&draws, rarePerSample: rarePerSample, workPerSample: Double(t) * (aggregate ? 4 : 1),
                                limits: limits)
            let channel = try TokenChannel(length: t, episodes: n, targetBias: p, noise: eps, reward: reward).precomputingExact()
            if case .perToken = reward, p == 0.5, eps > 0 { affine = (eps, n * UInt64(t)) }
            if case .checkpoint(let c) = reward, p == 0.5, eps == 0, t % c == 0 { affine = (pow(2, -Double(c)), n * UInt64(t / c)) }
            return Setting(
                index: index, channel: "token", estimator: "pointwise",
                command: "estimate token --length \(t) --target-bias \(p) --noise \(eps) --reward \(reward) --episodes \(n)",
                samples: n, expectedRareEvents: rare.map { Double(n) * $0 }, exact: channel.exactValue(), affineCount: affine,
                run: { try channel.run(settings: $0) }, reference: nil, referencePerSample: Double(t))
        default:
            let v = UInt64(draws.logInteger(2, 1 << 20))
            let prior = try distribution(&draws, vocabularySize: v, path: file("prior"))
            if draws.next() % 2 == 0 {
                let good = UInt64(draws.logInteger(1, max(1, Int(v / 2))))
                let alpha = Double(good) / Double(v)
                let n = sampleCount(&draws, rarePerSample: nil, workPerSample: 1, limits: limits)
                let channel = try SFTChannel(vocabularySize: v, positives: n, mode: .expert, alpha: alpha, prior: prior)
                    .precomputingExact()
                return Setting(
                    index: index, channel: "sft", estimator: "pointwise",
                    command: "estimate sft --mode expert --vocab \(v) --alpha \(alpha) --prior \(prior) --positives \(n)",
                    samples: n, expectedRareEvents: nil, exact: channel.exactValue(), affineCount: nil,
                    run: { try channel.run(settings: $0) }, reference: nil, referencePerSample: 1)
            }
            let policy = try distribution(&draws, vocabularySize: v, path: file("policy"))
            let probe = try SFTChannel(vocabularySize: v, positives: 2, mode: .filtered, prior: prior, policy: policy)
            let perPositive = probe.expectedRolloutsPerPositive()
            // Settings whose positives are too dear to repeat are drawn again.
            guard 100 * perPositive <= limits.work else { return nil }
            let n = sampleCount(&draws, rarePerSample: nil, workPerSample: perPositive, limits: limits)
            let channel = try SFTChannel(vocabularySize: v, positives: n, mode: .filtered, prior: prior, policy: policy)
                .precomputingExact()
            return Setting(
                index: index, channel: "sft", estimator: "ratio",
                command: "estimate sft --mode filtered --vocab \(v) --prior \(prior) --policy \(policy) --positives \(n)",
                samples: n, expectedRareEvents: nil, exact: channel.exactValue(), affineCount: nil,
                run: { try channel.run(settings: $0) }, reference: nil, referencePerSample: perPositive)
        }
    }

    /// The gradient channel: an advantage, then V, K, prior, policy, noise
    /// (and T, p for per-token). A prompt's posterior costs about K^3 (times
    /// K + 1 candidate reward sums) operations, and V K^2 more with a
    /// non-uniform policy: counted as 20 K^3 + 2 V K^2 rollouts of work.
    static func drawGradient(_ draws: inout Draws, index: Int, limits: Limits, file: (String) -> String) throws -> Setting? {
        let advantage: Advantage = draws.pick([.reinforce, .rloo, .grpo, .perToken])
        let k = draws.logInteger(advantage == .rloo ? 2 : 1, 16)
        let eps = noise(&draws)
        let channel: GradientChannel, command: String, work: Double
        var rare: Double?
        if advantage == .perToken {
            let t = draws.logInteger(1, 256)
            let p = draws.next() % 2 == 0 ? 0.5 : (draws.uniform(0.02, 0.98) * 100).rounded() / 100
            work = Double(t)
            let n = sampleCount(&draws, rarePerSample: nil, workPerSample: work, limits: limits)
            channel = try GradientChannel(groupSize: k, prompts: n, noise: eps, advantage: .perToken, length: t, targetBias: p)
            command = "estimate gradient --advantage per-token --length \(t) --target-bias \(p) --group \(k) --noise \(eps) --prompts \(n)"
        } else {
            let v = UInt64(draws.logInteger(2, 4096))
            let prior = try distribution(&draws, vocabularySize: v, path: file("prior"))
            let policy = try distribution(&draws, vocabularySize: v, path: file("policy"))
            let baseline = advantage == .reinforce ? draws.pick([0, 0.5, (draws.uniform(-1, 2) * 100).rounded() / 100]) : 0
            let q = try SymbolDistribution(prior, vocabularySize: v, option: .prior)
            let pi = try SymbolDistribution(policy, vocabularySize: v, option: .policy)
            let kk = Double(k)
            work = 20 * kk * kk * kk + (pi.isUniform ? 0 : 2 * Double(v) * kk * kk)
            // Without noise the prompts that name S are the rare events.
            if eps == 0 { rare = hitProbability(prior: q, policy: pi, groupSize: k) }
            let n = sampleCount(&draws, rarePerSample: rare, workPerSample: work, limits: limits)
            channel = try GradientChannel(vocabularySize: v, groupSize: k, prompts: n, prior: prior, policy: policy, noise: eps,
                                          advantage: advantage, baseline: baseline)
            command = "estimate gradient --vocab \(v) --group \(k) --prior \(prior) --policy \(policy) --noise \(eps) --advantage \(advantage.rawValue)"
                + (advantage == .reinforce ? " --baseline \(baseline)" : "") + " --prompts \(n)"
        }
        let model = channel.precomputingExact()
        let exact = model.exactInformation()
        var reference: (@Sendable (RunSettings, UInt64) throws -> Estimate)?
        if exact == nil {
            reference = { settings, samples in
                try GradientChannel(vocabularySize: channel.vocabularySize, groupSize: k, prompts: samples,
                                    prior: channel.prior.spec, policy: channel.policy.spec, noise: eps, advantage: advantage,
                                    baseline: channel.baseline, length: channel.length, targetBias: channel.targetBias)
                    .run(settings: settings).estimate
            }
        }
        return Setting(
            index: index, channel: "gradient", estimator: "rb", command: command, samples: channel.prompts,
            expectedRareEvents: rare.map { Double(channel.prompts) * $0 }, exact: exact, affineCount: nil,
            run: { try model.run(settings: $0) }, reference: reference, referencePerSample: work)
    }

    /// The learner channel: a learner, V, K, n steps, prior, policy, noise
    /// (none for elimination) and the reinforce learner's update. A run
    /// costs about n K log2 V, n times the tokens tried so far with noise,
    /// and n V when every logit moves.
    static func drawLearner(_ draws: inout Draws, index: Int, limits: Limits, file: (String) -> String) throws -> Setting? {
        let v = UInt64(draws.logInteger(2, 4096))
        let k = draws.logInteger(1, 16)
        let steps = draws.logInteger(1, 64)
        let prior = try distribution(&draws, vocabularySize: v, path: file("prior"))
        let policy = try distribution(&draws, vocabularySize: v, path: file("policy"))
        let learner: LearnerKind = draws.pick([.fixed, .thompson, .tempered(beta: (draws.logUniform(0.25, 4) * 100).rounded() / 100),
                                               .elimination, .reinforce])
        let eps = learner == .elimination ? 0 : noise(&draws)
        var advantage = Advantage.rloo, baseline = 0.0, lr = 1.0, bonus = 0.0
        if learner == .reinforce {
            advantage = draws.pick(k >= 2 ? [.reinforce, .rloo, .grpo] : [.reinforce, .grpo])
            if advantage == .reinforce { baseline = draws.pick([0, 0.5]) }
            lr = (draws.logUniform(0.01, 10) * 1000).rounded() / 1000
            if draws.next() % 2 == 0 { bonus = (draws.logUniform(1e-3, 1) * 1000).rounded() / 1000 }
        }
        let dense = learner == .reinforce && (bonus > 0 || (advantage == .reinforce && baseline != 0))
        let n = Double(steps), kk = Double(k)
        let work = n * kk * 4 * log2(Double(v) + 1) + (eps > 0 ? n * min(Double(v), n * kk) : 0) + (dense ? 4 * n * Double(v) : 0)
        let runs = sampleCount(&draws, rarePerSample: nil, workPerSample: work, limits: limits)
        let channel = try LearnerChannel(vocabularySize: v, groupSize: k, steps: steps, runs: runs, prior: prior, policy: policy,
                                         noise: eps, learner: learner, advantage: advantage, baseline: baseline,
                                         learningRate: lr, entropyBonus: bonus)
        let model = channel.precomputingExact()
        let exact = model.exactInformation()
        var reference: (@Sendable (RunSettings, UInt64) throws -> Estimate)?
        if exact == nil {
            reference = { settings, samples in
                try LearnerChannel(vocabularySize: v, groupSize: k, steps: steps, runs: samples, prior: prior, policy: policy,
                                   noise: eps, learner: learner, advantage: channel.advantage, baseline: channel.baseline,
                                   learningRate: channel.learningRate, entropyBonus: channel.entropyBonus)
                    .run(settings: settings).estimate
            }
        }
        var command = "estimate learner --vocab \(v) --group \(k) --steps \(steps) --prior \(prior) --policy \(policy) --noise \(eps) --learner \(learner)"
        if learner == .reinforce {
            command += " --advantage \(advantage.rawValue) --baseline \(baseline) --lr \(lr) --entropy-bonus \(bonus)"
        }
        return Setting(
            index: index, channel: "learner", estimator: "rb", command: command + " --runs \(runs)", samples: runs,
            expectedRareEvents: nil, exact: exact, affineCount: nil,
            run: { try model.run(settings: $0) }, reference: reference, referencePerSample: work)
    }

    /// P(S among K rollouts) = sum_s q(s) (1 - (1 - pi(s))^K).
    static func hitProbability(prior q: SymbolDistribution, policy pi: SymbolDistribution, groupSize k: Int) -> Double {
        let v = q.vocabularySize
        if pi.isUniform { return -expm1(Double(k) * log1p(-1 / Double(v))) }
        var total = CompensatedSum()
        for s in 0..<Int(v) {
            let mass = q.isUniform ? 1 / Double(v) : q.probability(s)
            total.add(mass * -expm1(Double(k) * log1p(-pi.probability(s))))
        }
        return total.value
    }

    // MARK: - Running

    /// Runs `setting` over `replicates` seeds (one thread each, so the
    /// result does not depend on `threads`), then its reference if needed.
    public static func run(_ setting: Setting, replicates: Int, baseSeed: UInt64, threads: Int,
                           limits: Limits) throws -> Outcome {
        let start = Date()
        let rowSeed = SplitMix64.mix(baseSeed ^ stableHash(setting.command) ^ UInt64(setting.index))
        let runs = try Coverage.replicates(replicates, rowSeed: rowSeed, threads: threads) { settings in
            let result = try setting.run(settings)
            // An information's interval stays in [0, bound].
            let bound = result.bounds.map(\.1).min() ?? .infinity
            return (estimate: result.estimate, outside: result.estimate.low < 0 || result.estimate.high > bound * (1 + 1e-6),
                    bound: bound)
        }
        let bound = runs.map(\.bound).min() ?? .infinity
        let estimates = runs.map(\.estimate)
        let outOfRange = runs.filter(\.outside).count
        let halfWidths = estimates.map(\.halfWidth).sorted()
        let median = halfWidths[halfWidths.count / 2]

        var target = setting.exact ?? 0
        var referenceError: Double?
        if setting.exact == nil, let reference = setting.reference {
            // Standard error at most 1/20 of the tested half-width, within
            // the reference budget; seeds past the replicates'.
            let budget = UInt64(max(2, limits.referenceWork / max(setting.referencePerSample, 1)))
            let settings = RunSettings(seed: rowSeed &+ UInt64(replicates), threads: threads, confidence: 0.95)
            var samples = min(budget, max(setting.samples * 400, 100_000))
            var e = try reference(settings, samples)
            if e.standardError > median / 20, samples < budget, e.standardError > 0 {
                let factor = pow(e.standardError / (median / 20), 2) * 1.2
                samples = min(budget, UInt64(Double(samples) * factor))
                e = try reference(settings, samples)
            }
            // The truth lies in [0, bound]; a reference estimate of an
            // information at its bound (S always found) can round above it,
            // where no clipped interval could reach.
            target = min(max(e.value, 0), bound)
            referenceError = e.standardError
        }

        let covered = estimates.filter { $0.contains(target) }.count
        let (low, high) = Estimate.clopperPearson(successes: UInt64(covered), trials: UInt64(estimates.count), level: 0.95)
            ?? (0, 1)
        let flaggedMethods: Set<IntervalMethod> = [.rareEventsConservative, .zeroVariance, .unseenClasses]
        let flagged = estimates.filter { flaggedMethods.contains($0.method) }.count
        let values = estimates.map(\.value)
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(values.count - 1, 1))).squareRoot()
        var methods: [String: Int] = [:]
        for e in estimates { methods[e.method.rawValue, default: 0] += 1 }
        var countCoverage: Double?
        if let (p, trials) = setting.affineCount, let method = estimates.first?.method, method == .blaker || method == .clopperPearson {
            countCoverage = try? Coverage.countIntervalCoverage(p: p, trials: trials, level: 0.95,
                                                                 interval: method == .blaker ? .blaker : .clopperPearson)
        }
        let counted = estimates.compactMap(\.rareEvents)
        let observed = counted.isEmpty ? nil : Double(counted.reduce(0, +)) / Double(counted.count)
        return Outcome(setting: setting, replicates: estimates.count, covered: covered, coverageLow: low, coverageHigh: high,
                       target: target, targetIsReference: setting.exact == nil, referenceStandardError: referenceError,
                       flagged: flagged, medianHalfWidth: median, oracleRatio: sd > 0 ? median / (1.959964 * sd) : nil,
                       exactCountCoverage: countCoverage, methods: methods, seconds: Date().timeIntervalSince(start),
                       observedRareEvents: observed, outOfRange: outOfRange)
    }
}
