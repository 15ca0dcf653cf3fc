import Foundation

extension GroupExact {
    /// H(r | T) in bits for one group under noise eps, given the distinct
    /// tokens' multiplicities n_d and prior weights w_d (and w_none).
    ///
    /// r matters only through r_d, the ones among token d's positions: a
    /// vector with prod (n_d + 1) values, each standing for prod C(n_d, r_d)
    /// patterns of probability sum_d w_d eps^x_d (1-eps)^(K-x_d) + w_none
    /// eps^|r| (1-eps)^(K-|r|), x_d = |r| + n_d - 2 r_d.
    public static func noisyConditionalEntropy(multiplicities n: [Int], weights w: [Double], noneWeight: Double,
                                               noise eps: Double) -> Double {
        let k = n.reduce(0, +)
        let logEps = log(eps), logKeep = log1p(-eps)
        func pattern(_ x: Int) -> Double { exp(Double(x) * logEps + Double(k - x) * logKeep) }
        var r = [Int](repeating: 0, count: n.count)
        var entropy = CompensatedSum()
        while true {
            let ones = r.reduce(0, +)
            var p = noneWeight * pattern(ones)
            var logMultiplicity = 0.0
            for d in n.indices {
                p += w[d] * pattern(ones + n[d] - 2 * r[d])
                logMultiplicity += lgamma(Double(n[d] + 1)) - lgamma(Double(r[d] + 1)) - lgamma(Double(n[d] - r[d] + 1))
            }
            if p > 0 { entropy.add(-exp(logMultiplicity) * p * log2(p)) }
            var d = 0
            while d < n.count {
                r[d] += 1
                if r[d] <= n[d] { break }
                r[d] = 0
                d += 1
            }
            if d == n.count { break }
        }
        return entropy.value
    }

    /// The largest K for which the uniform noisy value is enumerated.
    public static let noisyUniformMaximumGroup = 16

    /// Uniform prior and policy with noise: E[H(r | T)] - K h(eps), H(r | T)
    /// depending only on the multiset of multiplicities (an integer partition
    /// of K into M <= V parts) whose probability is
    /// (V)_M / prod_j c_j! * K! / prod_d n_d! / V^K.
    public static func uniformNoisy(vocabularySize: UInt64, groupSize k: Int, noise eps: Double) -> Double? {
        guard k <= noisyUniformMaximumGroup else { return nil }
        let v = Double(vocabularySize)
        var expected = CompensatedSum()
        var parts: [Int] = []
        func visit(remaining: Int, largest: Int) {
            if remaining == 0 {
                let m = parts.count
                guard UInt64(m) <= vocabularySize else { return }
                var logP = lgamma(Double(k) + 1) - Double(k) * log(v)
                for i in 0..<m { logP += log(v - Double(i)) }
                var run = 1
                for (i, part) in parts.enumerated() {
                    logP -= lgamma(Double(part) + 1)
                    if i + 1 < m && parts[i + 1] == part { run += 1 } else { logP -= lgamma(Double(run) + 1); run = 1 }
                }
                let h = noisyConditionalEntropy(multiplicities: parts, weights: [Double](repeating: 1 / v, count: m),
                                                noneWeight: max(0, 1 - Double(m) / v), noise: eps)
                expected.add(exp(logP) * h)
                return
            }
            for part in stride(from: min(remaining, largest), through: 1, by: -1) {
                parts.append(part)
                visit(remaining: remaining - part, largest: part)
                parts.removeLast()
            }
        }
        visit(remaining: k, largest: k)
        return expected.value - Double(k) * Information.binaryEntropy(eps)
    }

    /// Any prior and policy with noise, by visiting every K-tuple of tokens;
    /// nil when V^K 2^K exceeds the tuple limit.
    public static func tuplesNoisy(prior q: [Double], policy pi: [Double], groupSize k: Int, noise eps: Double) -> Double? {
        let v = q.count
        guard pow(Double(v), Double(k)) * pow(2, Double(k)) <= tupleLimit else { return nil }
        var counts = [Int](repeating: 0, count: v)
        var expected = CompensatedSum()
        func visit(depth: Int, probability: Double) {
            if depth == k {
                var n: [Int] = [], w: [Double] = []
                var mass = 0.0
                for t in 0..<v where counts[t] > 0 {
                    n.append(counts[t])
                    w.append(q[t])
                    mass += q[t]
                }
                expected.add(probability * noisyConditionalEntropy(multiplicities: n, weights: w,
                                                                   noneWeight: max(0, 1 - mass), noise: eps))
                return
            }
            for t in 0..<v where pi[t] > 0 {
                counts[t] += 1
                visit(depth: depth + 1, probability: probability * pi[t])
                counts[t] -= 1
            }
        }
        visit(depth: 0, probability: 1)
        return expected.value - Double(k) * Information.binaryEntropy(eps)
    }
}
