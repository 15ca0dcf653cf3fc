import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// The learner channel's Monte Carlo against exact curves: every history a
/// learner can produce, enumerated for tiny V, K and n with a reference
/// learner written here (not the kernel's code), and the two identities of
/// the uniform prior (static = group of K t, elimination = f(min(K t, V))).
@Suite("learner channel: Monte Carlo against exact curves")
struct LearnerChannelTests {
    /// A learner as a function of its history: its policy for the next step
    /// and the probability of a tuple of rollouts under it.
    struct ReferenceLearner {
        var kind: LearnerKind
        var advantage: Advantage = .rloo
        var baseline = 0.0
        var learningRate = 1.0
        var entropyBonus = 0.0

        struct State {
            var likelihood: [Double]     // P(history | S = s)
            var logits: [Double]
            var tried: Set<Int>
            /// The answer, once a noiseless reward named it.
            var found: Int?
        }

        func policy(_ state: State, prior q: [Double], initial pi: [Double]) -> [Double] {
            switch kind {
            case .fixed: return pi
            case .tempered(let beta): return normalize(q.indices.map { q[$0] * state.likelihood[$0] }.map { $0 > 0 ? pow($0, beta) : 0 })
            case .thompson: return normalize(q.indices.map { q[$0] * state.likelihood[$0] })
            case .elimination:
                if let s = state.found { return q.indices.map { $0 == s ? 1 : 0 } }
                return normalize(pi.indices.map { state.tried.contains($0) ? 0 : pi[$0] })
            case .reinforce:
                let top = state.logits.max()!
                return normalize(state.logits.map { exp($0 - top) })
            }
        }

        /// P(tuple) for the step's K rollouts.
        func probability(_ tuple: [Int], _ state: State, prior q: [Double], initial pi: [Double]) -> Double {
            let p = policy(state, prior: q, initial: pi)
            if case .elimination = kind, state.found == nil {
                // Without replacement from the untried tokens' masses.
                var weights = p
                var total = 1.0
                for t in tuple {
                    guard weights[t] > 0 else { return 0 }
                    total *= weights[t] / weights.reduce(0, +)
                    weights[t] = 0
                }
                return total
            }
            return tuple.reduce(1.0) { $0 * p[$1] }
        }

        func update(_ state: State, tuple: [Int], rewards r: [Int], noise eps: Double, prior q: [Double], initial pi: [Double]) -> State {
            var next = state
            for s in q.indices {
                for (i, t) in tuple.enumerated() {
                    let right = (t == s ? 1 : 0) == r[i]
                    next.likelihood[s] *= right ? 1 - eps : eps
                }
            }
            for t in tuple { next.tried.insert(t) }
            if eps == 0, let i = r.firstIndex(of: 1) { next.found = tuple[i] }
            if case .reinforce = kind {
                let current = policy(state, prior: q, initial: pi)
                let k = Double(r.count), total = Double(r.reduce(0, +))
                let a: [Double]
                switch advantage {
                case .reinforce: a = r.map { Double($0) - baseline }
                case .rloo: a = r.map { Double($0) - (total - Double($0)) / (k - 1) }
                default:
                    let m = total / k
                    a = m * (1 - m) > 0 ? r.map { (Double($0) - m) / (m * (1 - m)).squareRoot() } : r.map { _ in 0 }
                }
                let sumA = advantage == .reinforce ? a.reduce(0, +) : 0
                let entropy = -current.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
                for s in q.indices where current[s] > 0 {
                    next.logits[s] -= learningRate * sumA * current[s]
                    next.logits[s] -= learningRate * entropyBonus * current[s] * (log(current[s]) + entropy)
                }
                for (i, t) in tuple.enumerated() { next.logits[t] += learningRate * a[i] }
            }
            return next
        }

        func normalize(_ w: [Double]) -> [Double] { let z = w.reduce(0, +); return w.map { $0 / z } }
    }

    /// I(S; H_t) and E[log2 pi_t(S) / q(S)] for t = 1 ... steps, from every history.
    static func enumerate(_ learner: ReferenceLearner, prior q: [Double], policy pi: [Double], groupSize k: Int,
                          steps: Int, noise eps: Double) -> (curve: [Double], kept: [Double]) {
        let v = q.count
        var curve = [Double](repeating: 0, count: steps), kept = curve
        // Frontier: one entry per history, with P(history, S = s) for each s and the learner's state.
        var frontier: [(joint: [Double], state: ReferenceLearner.State)] = [
            (q, .init(likelihood: [Double](repeating: 1, count: v), logits: pi.map { log($0) }, tried: [], found: nil)),
        ]
        for step in 0..<steps {
            var next: [(joint: [Double], state: ReferenceLearner.State)] = []
            for (joint, state) in frontier {
                forEachTuple(base: v, length: k) { tuple in
                    let pt = learner.probability(tuple, state, prior: q, initial: pi)
                    guard pt > 0 else { return }
                    forEachTuple(base: 2, length: k) { r in
                        var row = [Double](repeating: 0, count: v)
                        for s in 0..<v {
                            var pr = 1.0
                            for (i, t) in tuple.enumerated() { pr *= ((t == s ? 1 : 0) == r[i]) ? 1 - eps : eps }
                            row[s] = joint[s] * pt * pr
                        }
                        guard row.reduce(0, +) > 0 else { return }
                        next.append((row, learner.update(state, tuple: tuple, rewards: r, noise: eps, prior: q, initial: pi)))
                    }
                }
            }
            frontier = next
            var information = 0.0, keep = 0.0
            for (row, state) in frontier {
                let ph = row.reduce(0, +)
                let policy = learner.policy(state, prior: q, initial: pi)
                for s in 0..<v where row[s] > 0 {
                    information += row[s] * log2(row[s] / (ph * q[s]))
                    keep += row[s] * log2(policy[s] / q[s])
                }
            }
            curve[step] = information
            kept[step] = keep
        }
        return (curve, kept)
    }

    struct Setting: CustomTestStringConvertible, Sendable {
        var learner: LearnerKind
        var noise: Double
        var advantage: Advantage = .rloo
        var baseline = 0.0
        var learningRate = 1.0
        var entropyBonus = 0.0
        var prior: DistributionSpec = .zipf(1)
        var policy: DistributionSpec = .zipf(0.5)
        var v = 3, k = 2, n = 3
        var testDescription: String {
            "V=\(v) K=\(k) n=\(n) \(learner) eps=\(noise) \(advantage.rawValue) b=\(baseline) lr=\(learningRate) bonus=\(entropyBonus) prior=\(prior) policy=\(policy)"
        }
    }

    static let settings: [Setting] = [
        Setting(learner: .fixed, noise: 0),
        Setting(learner: .fixed, noise: 0.2),
        Setting(learner: .thompson, noise: 0),
        Setting(learner: .thompson, noise: 0.2),
        Setting(learner: .tempered(beta: 2.5), noise: 0.15),
        Setting(learner: .tempered(beta: 0.5), noise: 0),
        Setting(learner: .elimination, noise: 0, v: 4, k: 2, n: 2),
        Setting(learner: .reinforce, noise: 0, advantage: .rloo, learningRate: 2),
        Setting(learner: .reinforce, noise: 0.2, advantage: .grpo, learningRate: 0.7),
        Setting(learner: .reinforce, noise: 0.1, advantage: .reinforce, baseline: 0.5, learningRate: 1.5, entropyBonus: 0.3),
    ]

    @Test("curve and kept within 5 standard errors of every history enumerated (V = 3, K = 2, n = 3)", arguments: settings)
    func enumeration(_ c: Setting) throws {
        let v = c.v, k = c.k, n = c.n
        let channel = try LearnerChannel(vocabularySize: UInt64(v), groupSize: k, steps: n, runs: 100_000, prior: c.prior,
                                         policy: c.policy, noise: c.noise, learner: c.learner, advantage: c.advantage,
                                         baseline: c.baseline, learningRate: c.learningRate, entropyBonus: c.entropyBonus)
        let q = (0..<v).map(channel.prior.probability), pi = (0..<v).map(channel.policy.probability)
        let reference = ReferenceLearner(kind: c.learner, advantage: c.advantage, baseline: c.baseline,
                                         learningRate: c.learningRate, entropyBonus: c.entropyBonus)
        let exact = Self.enumerate(reference, prior: q, policy: pi, groupSize: k, steps: n, noise: c.noise)
        let result = try channel.run(settings: testSettings())
        #expect(result.curve.count == n)
        for (t, point) in result.curve.enumerated() {
            expectNear(point.estimate, exact.curve[t], "I(S; H_\(t + 1))")
            if let x = point.exact { #expect(abs(x - exact.curve[t]) <= 1e-9, "exact curve at \(t + 1): \(x) vs \(exact.curve[t])") }
        }
        let kept = try #require(result.namedEstimates.first { $0.name == "kept" })
        expectNear(kept.estimate, exact.kept[n - 1], "kept")
        if let x = kept.exact { #expect(abs(x - exact.kept[n - 1]) <= 1e-9) }
        // Gibbs: kept <= I, with equality for the posterior.
        #expect(exact.kept[n - 1] <= exact.curve[n - 1] + 1e-12)
        if c.learner == .thompson { #expect(abs(exact.kept[n - 1] - exact.curve[n - 1]) <= 1e-12) }
    }

    @Test("static under a uniform prior and policy is the group channel at K t rollouts", arguments: [0.0, 0.1])
    func staticIsAGroup(_ noise: Double) throws {
        let channel = try LearnerChannel(vocabularySize: 32, groupSize: 2, steps: 5, runs: 50_000, noise: noise, learner: .fixed)
        let result = try channel.run(settings: testSettings())
        for point in result.curve {
            let group = try #require(try GroupChannel(vocabularySize: 32, groupSize: 2 * point.step, prompts: 2, noise: noise)
                .exactInformation())
            #expect(abs(try #require(point.exact) - group) <= 1e-12)
            expectNear(point.estimate, group, "step \(point.step)")
        }
    }

    @Test("elimination under a uniform prior: log2 V - ((V - m) / V) log2(V - m) after m = min(K t, V) tries")
    func eliminationFormula() throws {
        let v = 40, k = 3
        let channel = try LearnerChannel(vocabularySize: UInt64(v), groupSize: k, steps: 16, runs: 50_000, learner: .elimination)
        let result = try channel.run(settings: testSettings())
        for point in result.curve {
            let m = Double(min(k * point.step, v))
            let formula = log2(Double(v)) - (Double(v) - m) / Double(v) * (Double(v) - m > 0 ? log2(Double(v) - m) : 0)
            #expect(abs(try #require(point.exact) - formula) <= 1e-12)
            expectNear(point.estimate, formula, "step \(point.step)")
        }
        let efficiency = try #require(result.namedEstimates.first { $0.name == "efficiency" })
        #expect(efficiency.exact == 1)
    }

    @Test("bad input gets one line naming the parameter")
    func badInput() {
        #expect(throws: RewardBitsError.self) {
            try LearnerChannel(vocabularySize: 8, groupSize: 2, steps: 2, runs: 10, noise: 0.1, learner: .elimination)
        }
        #expect(throws: RewardBitsError.self) {
            try LearnerChannel(vocabularySize: 8, groupSize: 2, steps: 2, runs: 10, learner: .fixed, learningRate: 0.5)
        }
        #expect(throws: RewardBitsError.self) { try LearnerKind(parsing: "tempered:-1") }
        #expect(throws: RewardBitsError.self) { try LearnerChannel(vocabularySize: 8, groupSize: 2, steps: 0, runs: 10, learner: .thompson) }
    }
}
