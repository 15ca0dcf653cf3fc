import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// Issue 3's models: verifier noise on groups, and checkpoint, sum and graded
/// token rewards; exact values by enumeration, estimates within 5 se.
@Suite("noise and reward modes")
struct NoiseAndModesTests {
    static func groupNoisyBruteForce(q: [Double], pi: [Double], k: Int, eps: Double) -> Double {
        let v = q.count
        var joint = JointDistribution()
        forEachTuple(base: v, length: k) { tokens in
            let pTokens = tokens.reduce(1.0) { $0 * pi[$1] }
            forEachTuple(base: 2, length: k) { flips in
                let pFlips = flips.reduce(1.0) { $0 * ($1 == 1 ? eps : 1 - eps) }
                for s in 0..<v {
                    let rewards = zip(tokens, flips).map { ($0 == s ? 1 : 0) ^ $1 }
                    joint.add(answer: s, observation: tokens + rewards, probability: q[s] * pTokens * pFlips)
                }
            }
        }
        return joint.mutualInformation
    }

    @Test("group with noise: exact values against enumeration", arguments: [0.05, 0.2, 0.5])
    func groupNoisyExact(eps: Double) throws {
        // Non-uniform, by the tuple enumeration.
        let q = [0.5, 0.3, 0.2], pi = [0.2, 0.3, 0.5]
        for k in [1, 2, 3] {
            let brute = Self.groupNoisyBruteForce(q: q, pi: pi, k: k, eps: eps)
            let exact = try #require(GroupExact.tuplesNoisy(prior: q, policy: pi, groupSize: k, noise: eps))
            #expect(abs(exact - brute) < 1e-12, "K = \(k)")
        }
        // Uniform, by integer partitions of K.
        for (v, k) in [(4, 3), (2, 5), (3, 4)] {
            let u = [Double](repeating: 1 / Double(v), count: v)
            let brute = Self.groupNoisyBruteForce(q: u, pi: u, k: k, eps: eps)
            let exact = try #require(GroupExact.uniformNoisy(vocabularySize: UInt64(v), groupSize: k, noise: eps))
            #expect(abs(exact - brute) < 1e-12, "V = \(v), K = \(k)")
        }
    }

    @Test("group with noise: pointwise and rb within 5 se of exact, and of each other", arguments: [
        (UInt64(64), 8, "uniform", "uniform", 0.1),
        (1024, 16, "uniform", "uniform", 0.05),
        (3, 3, "zipf:1.1", "zipf:0.5", 0.2),
        (4, 4, "uniform", "zipf:1", 0.3),
        (5, 2, "zipf:2", "uniform", 0.01),
    ])
    func groupNoisy(v: UInt64, k: Int, prior: String, policy: String, eps: Double) throws {
        var estimates: [Estimate] = []
        for estimator in [EstimatorKind.rb, .pointwise] {
            let channel = try GroupChannel(vocabularySize: v, groupSize: k, prompts: 300_000,
                                           prior: try DistributionSpec(parsing: prior, option: "--prior"),
                                           policy: try DistributionSpec(parsing: policy, option: "--policy"),
                                           estimator: estimator, noise: eps)
            let result = try channel.run(settings: testSettings())
            let exact = try #require(result.exact)
            expectNear(result.estimate, exact, "V=\(v) K=\(k) \(prior)/\(policy) eps=\(eps) \(estimator)")
            estimates.append(result.estimate)
        }
        let (a, b) = (estimates[0], estimates[1])
        let se = (a.standardError * a.standardError + b.standardError * b.standardError).squareRoot()
        #expect(abs(a.value - b.value) <= 5 * se, "rb \(a.value) vs pointwise \(b.value)")
        #expect(a.standardError < b.standardError, "rb should have the smaller standard error")
    }

    /// I(S; x, reward) for T tokens from the definition.
    static func tokenBruteForce(length t: Int, p: Double, eps: Double, reward: (_ x: [Int], _ r: [Int]) -> [Int]) -> Double {
        var joint = JointDistribution()
        forEachTuple(base: 2, length: 3 * t) { bits in
            let s = Array(bits[0..<t]), x = Array(bits[t..<2 * t]), e = Array(bits[2 * t..<3 * t])
            var probability = 1.0
            var r: [Int] = []
            for i in 0..<t {
                probability *= (s[i] == 1 ? p : 1 - p) * 0.5 * (e[i] == 1 ? eps : 1 - eps)
                r.append((x[i] == s[i] ? 1 : 0) ^ e[i])
            }
            joint.add(answer: s.reduce(0) { $0 * 2 + $1 }, observation: x + reward(x, r), probability: probability)
        }
        return joint.mutualInformation
    }

    @Test("token checkpoint, sum and graded: exact values against enumeration", arguments: [(0.5, 0.0), (0.3, 0.1), (0.8, 0.25)])
    func tokenModesExact(p: Double, eps: Double) throws {
        let t = 5
        // Checkpoints of 2: blocks [0,2), [2,4), [4,5).
        let checkpoint = Self.tokenBruteForce(length: t, p: p, eps: eps) { _, r in
            [r[0] & r[1], r[2] & r[3], r[4]]
        }
        let c = try TokenChannel(length: t, episodes: 2, targetBias: p, noise: eps, reward: .checkpoint(2))
        #expect(abs(c.exactValue() - checkpoint) < 1e-12)
        let sum = Self.tokenBruteForce(length: t, p: p, eps: eps) { _, r in [r.reduce(0, +)] }
        let s = try TokenChannel(length: t, episodes: 2, targetBias: p, noise: eps, reward: .sum)
        #expect(abs(s.exactValue() - sum) < 1e-12)
        for b in [1, 2, 3] {
            let graded = Self.tokenBruteForce(length: t, p: p, eps: eps) { _, r in
                [TokenReward.grade(sum: r.reduce(0, +), length: t, bits: b)]
            }
            let g = try TokenChannel(length: t, episodes: 2, targetBias: p, noise: eps, reward: .graded(b))
            #expect(abs(g.exactValue() - graded) < 1e-12, "B = \(b)")
        }
        for b in [1, 2, 3] {
            let quantile = TokenReward.gradedQuantile(b)
            let grades = try #require(quantile.grades(length: t))
            let graded = Self.tokenBruteForce(length: t, p: p, eps: eps) { _, r in [grades[r.reduce(0, +)]] }
            let g = try TokenChannel(length: t, episodes: 2, targetBias: p, noise: eps, reward: quantile)
            #expect(abs(g.exactValue() - graded) < 1e-12, "B = \(b), quantile grid")
        }
        // Whole-block checkpoints, p = 1/2, no noise: (T/C) h(2^-C).
        let whole = try TokenChannel(length: 64, episodes: 2, reward: .checkpoint(8))
        #expect(abs(whole.exactValue() - 8 * Information.binaryEntropy(1.0 / 256)) < 1e-12)
        // Sum, p = 1/2, no noise: the entropy of Binomial(T, 1/2).
        let fairSum = try TokenChannel(length: 30, episodes: 2, reward: .sum)
        let binomial = (0...30).map { exp(lgamma(31) - lgamma(Double($0) + 1) - lgamma(Double(31 - $0)) - 30 * M_LN2) }
        #expect(abs(fairSum.exactValue() - Information.entropy(binomial)) < 1e-12)
    }

    /// With C not dividing T the last checkpoint is shorter: I =
    /// floor(T/C) h(2^-C) + h(2^-(T mod C)), not (T/C) h(2^-C). T = 10, C = 4:
    /// 2 h(1/16) + h(1/4) = 1.486, where (T/C) h(2^-C) says 0.843. With
    /// p = 1/2 and no noise the rewards are a function of (x, s), so
    /// I = H(rewards | x), enumerated over all 2^10 x 2^10 (x, s).
    @Test("checkpoints with C not dividing T: floor(T/C) h(2^-C) + h(2^-(T mod C)), by enumeration")
    func unevenCheckpoints() throws {
        let t = 10, c = 4
        var information = 0.0
        for x in 0..<(1 << t) {
            var patterns: [Int: Int] = [:]
            for s in 0..<(1 << t) {
                let correct = ~(x ^ s) & ((1 << t) - 1)
                var pattern = 0
                var start = 0, block = 0
                while start < t {
                    let width = min(c, t - start)
                    let mask = ((1 << width) - 1) << start
                    if correct & mask == mask { pattern |= 1 << block }
                    start += width
                    block += 1
                }
                patterns[pattern, default: 0] += 1
            }
            for (_, n) in patterns {
                let p = Double(n) / Double(1 << t)
                information -= p * log2(p) / Double(1 << t)
            }
        }
        let formula = 2 * Information.binaryEntropy(1.0 / 16) + Information.binaryEntropy(1.0 / 4)
        #expect(abs(information - formula) < 1e-12)
        #expect(abs(formula - 1.486) < 5e-4)
        #expect(abs(Double(t) / Double(c) * Information.binaryEntropy(1.0 / 16) - 0.843) < 5e-4)
        let channel = try TokenChannel(length: t, episodes: 2, reward: .checkpoint(c))
        #expect(abs(channel.exactValue() - information) < 1e-12)
    }

    /// Grades at the sum's quantiles keep what a fixed grid over [0, T]
    /// loses as the sum concentrates: at most min(B, H(sum)) bits.
    @Test("graded:B:quantile carries up to min(B, H(sum)), far more than the fixed grid at large T")
    func quantileGrades() throws {
        let t = 256
        let binomial = (0...t).map { exp(lgamma(Double(t + 1)) - lgamma(Double($0) + 1) - lgamma(Double(t - $0) + 1) - Double(t) * M_LN2) }
        let sumEntropy = Information.entropy(binomial)
        #expect(abs(sumEntropy - 5.047) < 1e-3)
        for b in [2, 4, 6, 8] {
            let quantile = try TokenChannel(length: t, episodes: 2, reward: .gradedQuantile(b)).exactValue()
            let fixed = try TokenChannel(length: t, episodes: 2, reward: .graded(b)).exactValue()
            #expect(quantile <= min(Double(b), sumEntropy) + 1e-12, "B = \(b)")
            #expect(quantile >= fixed - 1e-12, "B = \(b): quantile \(quantile) < fixed \(fixed)")
            if b >= 6 { #expect(quantile > 4.85, "B = \(b): \(quantile)") }
        }
        #expect(try TokenReward(parsing: "graded:6:quantile") == .gradedQuantile(6))
        #expect(TokenReward.gradedQuantile(6).description == "graded:6:quantile")
    }

    @Test("grades round half up in exact integer arithmetic")
    func grades() {
        #expect(TokenReward.grade(sum: 1, length: 2, bits: 1) == 1)   // 0.5 rounds up
        #expect(TokenReward.grade(sum: 1, length: 4, bits: 1) == 0)   // 0.25
        #expect(TokenReward.grade(sum: 3, length: 4, bits: 1) == 1)   // 0.75
        #expect(TokenReward.grade(sum: 64, length: 64, bits: 32) == Int(UInt32.max))
        #expect(TokenReward.grade(sum: 0, length: 64, bits: 32) == 0)
        #expect(TokenReward.grade(sum: 1, length: 6, bits: 2) == 1)   // 3/6 = 0.5 -> 1
    }

    @Test("token reward modes within 5 se of exact", arguments: [
        ("checkpoint:8", 64, 0.5, 0.0), ("checkpoint:8", 64, 0.3, 0.05), ("checkpoint:4", 10, 0.5, 0.1),
        ("checkpoint:7", 100, 0.7, 0.0), ("checkpoint:1", 20, 0.4, 0.2), ("checkpoint:3", 3, 0.5, 0.0),
        ("sum", 64, 0.5, 0.0), ("sum", 50, 0.3, 0.1), ("sum", 1, 0.5, 0.2),
        ("graded:4", 64, 0.5, 0.1), ("graded:1", 40, 0.2, 0.0), ("graded:32", 30, 0.5, 0.05), ("graded:2", 7, 0.9, 0.3),
        ("graded:4:quantile", 64, 0.5, 0.1), ("graded:3:quantile", 9, 0.8, 0.0),
    ])
    func tokenModes(reward: String, length: Int, p: Double, eps: Double) throws {
        let channel = try TokenChannel(length: length, episodes: 200_000, targetBias: p, noise: eps,
                                       reward: try TokenReward(parsing: reward))
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, channel.exactValue(), "\(reward) T=\(length) p=\(p) eps=\(eps)")
        #expect(result.estimate.value <= result.bounds[0].1 + 5 * result.estimate.standardError)
    }

    @Test("checkpoint rewards with p = 1/2 and no noise use a count interval on the rewarded blocks")
    func checkpointCounts() throws {
        let channel = try TokenChannel(length: 64, episodes: 100_000, reward: .checkpoint(16))
        let result = try channel.run(settings: testSettings())
        #expect(result.estimate.method == .blaker)
        #expect(result.estimate.contains(channel.exactValue()))
        #expect(result.estimate.high > result.estimate.low)
    }
}
