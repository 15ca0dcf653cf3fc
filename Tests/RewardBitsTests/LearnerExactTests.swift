import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// The learners' exact curves (issue 28) against a brute-force enumeration of
/// every history the learner can produce.
@Suite("learners: exact curves")
struct LearnerExactTests {
    enum Kind: String, CaseIterable, Sendable { case uniformStatic, posteriorSampling, elimination }

    /// The learner's distribution over one step's K tokens given the history
    /// so far (tokens and rewards of the earlier steps), as (tokens,
    /// probability) pairs.
    static func step(_ kind: Kind, v: Int, k: Int, history: [(tokens: [Int], rewards: [Int])]) -> [([Int], Double)] {
        let tried = Set(history.flatMap(\.tokens))
        let untried = (0..<v).filter { !tried.contains($0) }
        var hit: Int?
        for (tokens, rewards) in history { for (t, r) in zip(tokens, rewards) where r == 1 { hit = t } }
        var out: [([Int], Double)] = []
        switch kind {
        case .uniformStatic:
            forEachTuple(base: v, length: k) { out.append(($0, pow(1 / Double(v), Double(k)))) }
        case .posteriorSampling:
            if let hit { return [([Int](repeating: hit, count: k), 1)] }
            forEachTuple(base: untried.count, length: k) { idx in
                out.append((idx.map { untried[$0] }, pow(1 / Double(untried.count), Double(k))))
            }
        case .elimination:
            let n = min(k, untried.count)
            if n == 0 { return [([], 1)] }
            // Ordered draws without replacement, each sequence equally likely.
            var sequences: [[Int]] = [[]]
            for _ in 0..<n {
                sequences = sequences.flatMap { s in untried.filter { !s.contains($0) }.map { s + [$0] } }
            }
            out = sequences.map { ($0, 1 / Double(sequences.count)) }
        }
        return out
    }

    /// I(S; H_t) from the joint of S and the whole history.
    static func bruteForce(_ kind: Kind, v: Int, k: Int, steps: Int) -> Double {
        var joint = JointDistribution()
        func walk(_ s: Int, _ history: [(tokens: [Int], rewards: [Int])], _ p: Double) {
            if history.count == steps {
                joint.add(answer: s, observation: history.flatMap { $0.tokens + [-1] + $0.rewards + [-2] }, probability: p)
                return
            }
            for (tokens, q) in step(kind, v: v, k: k, history: history) {
                walk(s, history + [(tokens, tokens.map { $0 == s ? 1 : 0 })], p * q)
            }
        }
        for s in 0..<v { walk(s, [], 1 / Double(v)) }
        return joint.mutualInformation
    }

    @Test("each learner's curve is the enumeration's I(S; H_t)", arguments: Kind.allCases)
    func curves(kind: Kind) {
        for (v, k, steps) in [(4, 2, 3), (5, 1, 4), (3, 2, 2)] {
            let learner: LearnerExact.Learner = switch kind {
            case .uniformStatic: .uniformStatic
            case .posteriorSampling: .posteriorSampling
            case .elimination: .elimination
            }
            let curve = LearnerExact.uniformPriorCurve(vocabularySize: v, groupSize: k, steps: steps, learner: learner)
            for t in 1...steps {
                let exact = Self.bruteForce(kind, v: v, k: k, steps: t)
                #expect(abs(curve[t - 1] - exact) <= 1e-12, "\(kind) V=\(v) K=\(k) t=\(t): \(curve[t - 1]) vs \(exact)")
            }
        }
    }

    @Test("elimination reaches log2 V - ((V - m)/V) log2(V - m) after m = min(K t, V) tries; static equals the group channel at K t")
    func identities() throws {
        let v = 1024, k = 32
        let elimination = LearnerExact.uniformPriorCurve(vocabularySize: v, groupSize: k, steps: 40, learner: .elimination)
        for t in [1, 10, 32, 40] {
            let m = Double(min(k * t, v))
            let closed = log2(Double(v)) - (m == Double(v) ? 0 : (Double(v) - m) / Double(v) * log2(Double(v) - m))
            #expect(abs(elimination[t - 1] - closed) <= 1e-12)
        }
        let curve = LearnerExact.uniformPriorCurve(vocabularySize: v, groupSize: k, steps: 4, learner: .uniformStatic)
        for t in 1...4 {
            let group = try GroupChannel(vocabularySize: UInt64(v), groupSize: k * t, prompts: 2).exactInformation()
            #expect(abs(curve[t - 1] - (group ?? .nan)) <= 1e-12)
        }
        // Exploring untried tokens beats repeating them: elimination >= posterior sampling >= static.
        let thompson = LearnerExact.uniformPriorCurve(vocabularySize: v, groupSize: k, steps: 4, learner: .posteriorSampling)
        for t in 0..<4 { #expect(elimination[t] >= thompson[t] - 1e-12 && thompson[t] >= curve[t] - 1e-12) }
    }
}
