import Foundation

/// Exact information curves of adaptive learners (issue 28) under a uniform
/// prior over V answers, noiseless binary rewards and K rollouts per step.
///
/// Under a uniform prior the posterior after t steps without a hit is
/// uniform over the V - m untried tokens, and a hit names S. A learner
/// whose choices depend on the history only through its misses explores a
/// set D_t of m_t = |D_t| distinct tokens whatever S is, S is uniform and
/// independent of that process, and so
/// I(S; H_t) = log2 V - E[P(S not in D_t | D_t) log2(V - m_t)] = E[f(m_t)],
/// f(m) = log2 V - ((V - m)/V) log2(V - m), the group channel's value at m
/// distinct tokens. The learners differ only in the law of m_t.
public enum LearnerExact {
    /// The learners with an exact curve under a uniform prior.
    public enum Learner: Sendable {
        /// The fixed uniform policy: the t K rollouts are one group of t K.
        case uniformStatic
        /// Thompson sampling, or a tempered posterior (any beta > 0), which
        /// under a uniform prior is the same: each step's K rollouts are
        /// drawn with replacement from the untried tokens (after a hit, all
        /// are S and add nothing).
        case posteriorSampling
        /// K untried tokens per step without replacement: m_t = min(t K, V).
        case elimination
    }

    /// I(S; H_t) for t = 1 ... steps, in bits.
    public static func uniformPriorCurve(vocabularySize v: Int, groupSize k: Int, steps: Int, learner: Learner) -> [Double] {
        precondition(v >= 2 && k >= 1 && steps >= 1)
        func f(_ m: Int) -> Double { GroupExact.uniformInformation(distinct: m, vocabularySize: UInt64(v)) }
        func expectation(_ p: [Double]) -> Double {
            var total = CompensatedSum()
            for (m, pm) in p.enumerated() where pm > 0 { total.add(pm * f(m)) }
            return total.value
        }
        switch learner {
        case .elimination:
            return (1...steps).map { f(min($0 * k, v)) }
        case .uniformStatic:
            return (1...steps).map { expectation(Occupancy.distribution(vocabularySize: UInt64(v), draws: $0 * k)) }
        case .posteriorSampling:
            // m moves by the number of distinct new tokens among K draws
            // from the V - m untried ones.
            var p = [Double](repeating: 0, count: v + 1)
            p[0] = 1
            var curve: [Double] = []
            var moves: [Int: [Double]] = [:]
            for _ in 1...steps {
                var next = [Double](repeating: 0, count: v + 1)
                for (m, pm) in p.enumerated() where pm > 0 {
                    if m == v { next[m] += pm; continue }
                    let move = moves[m] ?? Occupancy.distribution(vocabularySize: UInt64(v - m), draws: k)
                    moves[m] = move
                    for (j, pj) in move.enumerated() where pj > 0 { next[m + j] += pm * pj }
                }
                p = next
                curve.append(expectation(p))
            }
            return curve
        }
    }
}
