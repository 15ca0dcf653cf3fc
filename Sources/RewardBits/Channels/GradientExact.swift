import Foundation

/// How a policy-gradient update weighs the K rollouts of a prompt.
///
/// The update of a tabular softmax policy pi over V tokens is
/// g = sum_i A_i grad_theta log pi(T_i) = sum_i A_i (e_{T_i} - pi), with
/// rewards r_i = 1{T_i == S}, each flipped with probability eps:
/// - `reinforce`: A_i = r_i - b for a fixed baseline b;
/// - `rloo`: A_i = r_i - (sum_{j != i} r_j) / (K - 1), the leave-one-out mean (K >= 2);
/// - `grpo`: A_i = (r_i - rbar) / sigma, the group's mean and (population)
///   standard deviation, and A_i = 0 when all K rewards are equal (sigma = 0,
///   where implementations add a small constant to sigma).
/// - `perToken`: each rollout is T binary tokens against a hidden target
///   string, and each token's own reward is its advantage (`PerTokenGradient`).
public enum Advantage: String, Sendable, CaseIterable {
    case reinforce, rloo, grpo
    case perToken = "per-token"

    /// The rule of a vocabulary update (nil for per-token).
    var likelihoodRule: ((Double) -> GradientLikelihood.Rule)? {
        switch self {
        case .reinforce: return { .reinforce(baseline: $0) }
        case .rloo: return { _ in .rloo }
        case .grpo: return { _ in .grpo }
        case .perToken: return nil
        }
    }

    /// The advantages of rewards `r` (0 or 1 each) with baseline `b`.
    func advantages(_ r: [Int], baseline b: Double) -> [Double] {
        let k = r.count
        let total = Double(r.reduce(0, +))
        switch self {
        case .reinforce:
            return r.map { Double($0) - b }
        case .rloo:
            return r.map { Double($0) - (total - Double($0)) / Double(k - 1) }
        case .grpo:
            let mean = total / Double(k)
            let variance = r.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(k)
            guard variance > 0 else { return [Double](repeating: 0, count: k) }
            return r.map { (Double($0) - mean) / variance.squareRoot() }
        case .perToken:
            preconditionFailure("per-token advantages belong to PerTokenGradient")
        }
    }
}

/// The information quantities of one prompt's update, in bits.
public struct GradientInformation: Sendable, Equatable {
    /// I(S; g): what the update itself carries about the answer.
    public var gradient: Double
    /// I(S; g | T_1..T_K): the same, to a learner who also knows the rollouts.
    public var givenRollouts: Double
    /// I(S; (T, r)) = I(S; r | T): what the rollouts and rewards carry (the
    /// group channel's value).
    public var observation: Double
    /// observation - givenRollouts: what the update throws away.
    public var lost: Double
    /// I(g; T_1..T_K): how much of the update is about the rollouts rather
    /// than the answer (the "long lever").
    public var aboutRollouts: Double
}

/// Exact values of the gradient channel by enumeration over every answer S,
/// rollout tuple T_1..T_K and flip pattern: V^(K+1) 2^K terms (with noise;
/// V^(K+1) without), for small V and K.
public enum GradientExact {
    /// The most work the enumeration may do: terms visited times V (each
    /// term builds an update of V coordinates).
    public static let termLimit = 2e7

    /// The five quantities for a prior q and policy pi over V tokens, or nil
    /// when the enumeration would cost more than `termLimit`.
    public static func information(prior q: [Double], policy pi: [Double], groupSize k: Int, noise eps: Double,
                                   advantage: Advantage, baseline: Double = 0) -> GradientInformation? {
        let v = q.count
        precondition(v == pi.count && v >= 2 && k >= 1 && (advantage != .rloo || k >= 2) && advantage != .perToken)
        let flipPatterns = eps > 0 ? 1 << k : 1
        guard pow(Double(v), Double(k + 1)) * Double(flipPatterns) * Double(v) <= termLimit else { return nil }

        // Joint tables keyed by the update (its V coordinates rounded to
        // 1e-12, so that equal rationals computed in different orders meet).
        var jointSG: [GradientKey: [Double]] = [:]   // P(S = s, g) per s
        var marginalG: [GradientKey: Double] = [:]   // P(g)
        var entropyGivenT = CompensatedSum()          // sum_T P(T) H(g | T)
        var informationGivenT = CompensatedSum()      // sum_T P(T) I(S; g | T)
        var observationGivenT = CompensatedSum()      // sum_T P(T) I(S; r | T)

        var tuple = [Int](repeating: 0, count: k)
        let tuples = Int(pow(Double(v), Double(k)).rounded())
        for index in 0..<tuples {
            var rest = index
            var pT = 1.0
            for i in 0..<k {
                tuple[i] = rest % v
                rest /= v
                pT *= pi[tuple[i]]
            }
            guard pT > 0 else { continue }
            // Given T: the joint of S with the update and with the rewards.
            var sg: [GradientKey: [Double]] = [:]
            var sr: [Int: [Double]] = [:]
            for s in 0..<v where q[s] > 0 {
                for flips in 0..<flipPatterns {
                    var pFlips = 1.0
                    var r = [Int](repeating: 0, count: k)
                    for i in 0..<k {
                        let flipped = flips >> i & 1 == 1
                        pFlips *= flipped ? eps : 1 - eps
                        r[i] = (tuple[i] == s ? 1 : 0) ^ (flipped ? 1 : 0)
                    }
                    let p = q[s] * pFlips
                    guard p > 0 else { continue }
                    let key = GradientKey(update(tuple: tuple, rewards: r, policy: pi, advantage: advantage, baseline: baseline))
                    sg[key, default: [Double](repeating: 0, count: v)][s] += p
                    let rewardCode = r.reduce(0) { $0 << 1 | $1 }
                    sr[rewardCode, default: [Double](repeating: 0, count: v)][s] += p
                }
            }
            informationGivenT.add(pT * mutualInformation(sg.values))
            observationGivenT.add(pT * mutualInformation(sr.values))
            entropyGivenT.add(pT * Information.entropy(sg.values.map { $0.reduce(0, +) }))
            for (key, row) in sg {
                var total = jointSG[key] ?? [Double](repeating: 0, count: v)
                for s in 0..<v { total[s] += pT * row[s] }
                jointSG[key] = total
                marginalG[key, default: 0] += pT * row.reduce(0, +)
            }
        }
        let gradient = mutualInformation(jointSG.values)
        let entropyG = Information.entropy(Array(marginalG.values))
        let givenRollouts = informationGivenT.value
        let observation = observationGivenT.value
        return GradientInformation(gradient: gradient, givenRollouts: givenRollouts, observation: observation,
                                   lost: observation - givenRollouts, aboutRollouts: entropyG - entropyGivenT.value)
    }

    /// g = sum_i A_i (e_{T_i} - pi).
    static func update(tuple: [Int], rewards: [Int], policy pi: [Double], advantage: Advantage,
                       baseline: Double) -> [Double] {
        let a = advantage.advantages(rewards, baseline: baseline)
        let sum = a.reduce(0, +)
        var g = pi.map { -sum * $0 }
        for (i, t) in tuple.enumerated() { g[t] += a[i] }
        return g
    }

    /// I(S; X) from rows P(S = s, X = x), one row per value x.
    static func mutualInformation<Rows: Collection>(_ rows: Rows) -> Double where Rows.Element == [Double] {
        guard let width = rows.first?.count else { return 0 }
        var marginalS = [Double](repeating: 0, count: width)
        var joint: [Double] = []
        var marginalX: [Double] = []
        for row in rows {
            for (s, p) in row.enumerated() { marginalS[s] += p }
            joint += row
            marginalX.append(row.reduce(0, +))
        }
        return Information.entropy(marginalS) + Information.entropy(marginalX) - Information.entropy(joint)
    }

    /// Closed forms without noise, O(V), for any V: I(S; g), I(S; g | T),
    /// I(S; (T, r)) and lost, given `observation` = I(S; (T, r)), the group
    /// channel's exact value (`GroupChannel.exactInformation()`); I(g; T) is
    /// not given (nil in the enumeration's place). Nil where no closed form is
    /// known: `reinforce` with a baseline outside [0, 1).
    ///
    /// - rloo, grpo: the update is 0 exactly when the rewards are all equal,
    ///   which under S = s has probability z_s = (1 - pi_s)^K + pi_s^K, and
    ///   otherwise names S (its one positive coordinate). So
    ///   I(S; g) = sum_s q_s [(1 - z_s) log2(1/q_s) + z_s log2(z_s / Z)],
    ///   Z = sum_s q_s z_s, and I(S; g | T) = I(S; (T, r)) - sum_t pi_t^K h(q_t).
    /// - reinforce, b = 0: only hits move the policy (and name S): the same
    ///   with z_s = (1 - pi_s)^K; given T nothing is lost.
    /// - reinforce, 0 < b < 1: every rollout moves its token by -b (a miss) or
    ///   1 - b (a hit), so the update gives the rollouts' counts and the
    ///   rewards: I(S; g) = I(S; g | T) = I(S; (T, r)).
    public static func noiseless(prior q: [Double], policy pi: [Double], groupSize k: Int, advantage: Advantage,
                                 baseline b: Double = 0, observation: Double)
        -> (gradient: Double, givenRollouts: Double, lost: Double)?
    {
        func revealing(zeroProbability z: (Int) -> Double) -> Double {
            var zero = CompensatedSum()
            for s in q.indices where q[s] > 0 { zero.add(q[s] * z(s)) }
            var total = CompensatedSum()
            for s in q.indices where q[s] > 0 {
                let zs = z(s)
                total.add(q[s] * (1 - zs) * -log2(q[s]))
                if zs > 0 { total.add(q[s] * zs * log2(zs / zero.value)) }
            }
            return total.value
        }
        let kk = Double(k)
        switch advantage {
        case .rloo, .grpo:
            let lost = noiselessCentredLoss(prior: q, policy: pi, groupSize: k)
            let gradient = revealing { pow(1 - pi[$0], kk) + pow(pi[$0], kk) }
            return (gradient, observation - lost, lost)
        case .reinforce where b == 0:
            return (revealing { pow(1 - pi[$0], kk) }, observation, 0)
        case .reinforce where b > 0 && b < 1:
            return (observation, observation, 0)
        case .reinforce, .perToken:
            return nil
        }
    }

    /// E[1{M = 1} h(q(T_1))]: what a noiseless centred update (rloo, grpo)
    /// loses, since a group whose rewards are all equal moves nothing. With
    /// M = 1 every rollout is the same token t, the rewards are all 1 or all
    /// 0, and the update is 0 either way, so whether S = t (h(q(t)) bits) is
    /// lost; with M >= 2 a zero update still tells a miss from a hit.
    public static func noiselessCentredLoss(prior q: [Double], policy pi: [Double], groupSize k: Int) -> Double {
        var total = CompensatedSum()
        for t in 0..<q.count { total.add(pow(pi[t], Double(k)) * Information.binaryEntropy(q[t])) }
        return total.value
    }
}

/// An update vector as a table key: each coordinate rounded to 1e-12 (the
/// coordinates are O(K)), so that updates equal as rationals but computed in
/// different orders meet.
struct GradientKey: Hashable {
    let coordinates: [Int64]

    init(_ g: [Double]) {
        coordinates = g.map { Int64(($0 * 1e12).rounded()) }
    }
}
