import Foundation

/// Exact values for `group` (no noise): E[H(r | T_1..T_K)] and E[log2(M + 1)].
public enum GroupExact {
    /// f(M) = log2 V - ((V - M)/V) log2(V - M), written as
    /// (M/V) log2 V + psi(M/V) so that nothing cancels for V up to 2^32.
    public static func uniformInformation(distinct m: Int, vocabularySize: UInt64) -> Double {
        let fraction = Double(m) / Double(vocabularySize)
        return fraction * log2(Double(vocabularySize)) + Information.psi(fraction)
    }

    /// Uniform prior and policy: E[f(M)] and E[log2(M+1)] over the occupancy
    /// distribution; nil when K min(K, V) is too large to recurse.
    public static func uniform(vocabularySize: UInt64, groupSize k: Int) -> (information: Double, meanLog2DistinctPlus1: Double)? {
        guard Double(k) * Double(min(UInt64(k), vocabularySize)) <= 2e8 else { return nil }
        let p = Occupancy.distribution(vocabularySize: vocabularySize, draws: k)
        var information = CompensatedSum()
        var meanLog = CompensatedSum()
        for (m, pm) in p.enumerated() where pm > 0 {
            information.add(pm * uniformInformation(distinct: m, vocabularySize: vocabularySize))
            meanLog.add(pm * log2(Double(m + 1)))
        }
        return (information.value, meanLog.value)
    }

    /// The largest V * K * 2^V the subset recursion is allowed to cost.
    public static let subsetWorkLimit = 4e8

    /// Any prior and policy over a small vocabulary: the distribution of the
    /// set D of distinct tokens by the recursion
    /// P_{k+1}(D u {t}) += P_k(D) pi(t) over all 2^V subsets (all terms
    /// non-negative), then E[sum_{d in D} phi(q_d) + psi(Q_D)] and
    /// E[log2(|D| + 1)]. Nil when V K 2^V exceeds `subsetWorkLimit`.
    public static func subsets(prior q: [Double], policy pi: [Double], groupSize k: Int)
        -> (information: Double, meanLog2DistinctPlus1: Double)?
    {
        let v = q.count
        guard v <= 24, Double(v) * Double(k) * pow(2, Double(v)) <= subsetWorkLimit else { return nil }
        let subsets = 1 << v
        var p = [Double](repeating: 0, count: subsets)
        var next = [Double](repeating: 0, count: subsets)
        p[0] = 1
        for _ in 0..<k {
            for d in 0..<subsets { next[d] = 0 }
            for d in 0..<subsets where p[d] > 0 {
                for t in 0..<v {
                    next[d | (1 << t)] += p[d] * pi[t]
                }
            }
            swap(&p, &next)
        }
        let phi = q.map(Information.phi)
        var information = CompensatedSum()
        var meanLog = CompensatedSum()
        for d in 0..<subsets where p[d] > 0 {
            var mass = 0.0
            var entropy = 0.0
            for t in 0..<v where d & (1 << t) != 0 {
                mass += q[t]
                entropy += phi[t]
            }
            information.add(p[d] * (entropy + Information.psi(mass)))
            meanLog.add(p[d] * log2(Double(d.nonzeroBitCount + 1)))
        }
        return (information.value, meanLog.value)
    }

    /// The largest V^K the tuple enumeration is allowed to visit.
    public static let tupleLimit = 2e7

    /// Any prior and policy when V^K is small: a depth-first walk over all
    /// K-tuples of tokens, keeping the distinct set, its prior mass and its
    /// entropy term incrementally. Nil when V^K exceeds `tupleLimit`.
    public static func tuples(prior q: [Double], policy pi: [Double], groupSize k: Int)
        -> (information: Double, meanLog2DistinctPlus1: Double)?
    {
        let v = q.count
        guard pow(Double(v), Double(k)) <= tupleLimit else { return nil }
        let phi = q.map(Information.phi)
        var seen = [Int](repeating: 0, count: v)
        var information = CompensatedSum()
        var meanLog = CompensatedSum()
        func visit(depth: Int, probability: Double, distinct: Int, mass: Double, entropy: Double) {
            if depth == k {
                information.add(probability * (entropy + Information.psi(mass)))
                meanLog.add(probability * log2(Double(distinct + 1)))
                return
            }
            for t in 0..<v where pi[t] > 0 {
                let fresh = seen[t] == 0
                seen[t] += 1
                visit(depth: depth + 1, probability: probability * pi[t], distinct: distinct + (fresh ? 1 : 0),
                      mass: fresh ? mass + q[t] : mass, entropy: fresh ? entropy + phi[t] : entropy)
                seen[t] -= 1
            }
        }
        visit(depth: 0, probability: 1, distinct: 0, mass: 0, entropy: 0)
        return (information.value, meanLog.value)
    }
}
