import Foundation

/// The per-token update of one position of a T-token rollout, exactly.
///
/// As in the token channel, the target bit s ~ Bernoulli(p) and each of the
/// K rollouts' bits x_i ~ Bernoulli(1/2); the per-token reward
/// r_i = 1{x_i == s}, flipped with probability eps, is the advantage of that
/// token, so the position's update g = sum_i r_i (e_{x_i} - (1/2, 1/2)) has
/// the one free coordinate (h1 - h0) / 2, h1 (h0) the rewarded rollouts
/// with x = 1 (x = 0). With n1 the rollouts with x = 1, every quantity
/// depends on (n1, h1, h0) only: positions are independent, so a T-token
/// rollout carries T times each of them.
public struct PerTokenGradient: Sendable {
    public let groupSize: Int
    public let targetBias: Double
    public let noise: Double

    /// Every (n1, h1, h0) with its probability under s = 0 and s = 1.
    public let outcomes: [Outcome]
    /// The exact per-position informations, in bits.
    public let exact: Quantities
    /// Per outcome, the per-sample values whose means are `exact`.
    public let values: [Quantities]

    public struct Outcome: Sendable {
        public var ones: Int, rewardedOnes: Int, rewardedZeros: Int
        /// P(outcome | s = 0), P(outcome | s = 1).
        public var likelihood: (Double, Double)
        /// The update's coordinate 2 g_1 = h1 - h0.
        public var update: Int { rewardedOnes - rewardedZeros }
    }

    public typealias Quantities = GradientValues

    /// The index of (n1, h1, h0) in `outcomes` and `values`.
    public func index(ones n1: Int, rewardedOnes h1: Int, rewardedZeros h0: Int) -> Int {
        offsets[n1] + h1 * (groupSize - n1 + 1) + h0
    }

    let offsets: [Int]

    public init(groupSize k: Int, targetBias p: Double, noise eps: Double) {
        groupSize = k
        targetBias = p
        noise = eps
        func binomialPMF(_ n: Int, _ x: Int, _ prob: Double) -> Double {
            exp(lgamma(Double(n + 1)) - lgamma(Double(x + 1)) - lgamma(Double(n - x + 1))
                + (x > 0 ? Double(x) * log(prob) : 0) + (n - x > 0 ? Double(n - x) * log1p(-prob) : 0))
        }
        func pmf(_ n: Int, _ x: Int, _ prob: Double) -> Double {
            if prob == 0 { return x == 0 ? 1 : 0 }
            if prob == 1 { return x == n ? 1 : 0 }
            return binomialPMF(n, x, prob)
        }
        var offsets: [Int] = []
        var outcomes: [Outcome] = []
        for n1 in 0...k {
            offsets.append(outcomes.count)
            let pn = pmf(k, n1, 0.5)
            for h1 in 0...n1 {
                for h0 in 0...(k - n1) {
                    // s = 1: the ones are right (rewarded unless flipped); s = 0: the zeros.
                    let given1 = pmf(n1, h1, 1 - eps) * pmf(k - n1, h0, eps)
                    let given0 = pmf(n1, h1, eps) * pmf(k - n1, h0, 1 - eps)
                    outcomes.append(Outcome(ones: n1, rewardedOnes: h1, rewardedZeros: h0,
                                            likelihood: (pn * given0, pn * given1)))
                }
            }
        }
        self.offsets = offsets
        self.outcomes = outcomes
        let prior = (1 - p, p)
        // Joint masses by the update alone and by (n1, update).
        var byUpdate: [Int: (Double, Double)] = [:]
        var byOnesUpdate: [Int: (Double, Double)] = [:]
        func key(_ o: Outcome) -> Int { o.ones * (2 * k + 1) + o.update + k }
        for o in outcomes {
            let a = (prior.0 * o.likelihood.0, prior.1 * o.likelihood.1)
            byUpdate[o.update, default: (0, 0)].0 += a.0
            byUpdate[o.update, default: (0, 0)].1 += a.1
            byOnesUpdate[key(o), default: (0, 0)].0 += a.0
            byOnesUpdate[key(o), default: (0, 0)].1 += a.1
        }
        func divergence(_ joint: (Double, Double)) -> Double {
            let total = joint.0 + joint.1
            guard total > 0 else { return 0 }
            var d = 0.0
            if joint.0 > 0 { d += joint.0 / total * log2(joint.0 / total / prior.0) }
            if joint.1 > 0 { d += joint.1 / total * log2(joint.1 / total / prior.1) }
            return max(0, d)
        }
        var values: [Quantities] = []
        var exact = Quantities(gradient: 0, givenRollouts: 0, observation: 0, aboutRollouts: 0)
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: 4)
        for o in outcomes {
            let joint = (prior.0 * o.likelihood.0, prior.1 * o.likelihood.1)
            let pn = pmf(k, o.ones, 0.5)
            let u = byUpdate[o.update]!, ou = byOnesUpdate[key(o)]!
            // log2 P(update | n1) - log2 P(update).
            let about = log2((ou.0 + ou.1) / pn) - log2(u.0 + u.1)
            let value = Quantities(gradient: divergence(u), givenRollouts: divergence(ou), observation: divergence(joint),
                                   aboutRollouts: about)
            values.append(value)
            let mass = joint.0 + joint.1
            guard mass > 0 else { continue }
            sums[0].add(mass * value.gradient)
            sums[1].add(mass * value.givenRollouts)
            sums[2].add(mass * value.observation)
            sums[3].add(mass * value.aboutRollouts)
        }
        exact = Quantities(gradient: sums[0].value, givenRollouts: sums[1].value, observation: sums[2].value,
                           aboutRollouts: sums[3].value)
        self.values = values
        self.exact = exact
    }
}
