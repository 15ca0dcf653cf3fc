import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// The gradient channel's exact values (issue 28), by enumeration.
@Suite("gradient channel: exact values")
struct GradientExactTests {
    struct Setting: CustomTestStringConvertible, Sendable {
        var prior: [Double]
        var policy: [Double]
        var k: Int
        var testDescription: String { "V=\(prior.count) K=\(k)" }
    }

    static func normalized(_ w: [Double]) -> [Double] { w.map { $0 / w.reduce(0, +) } }

    static let settings: [Setting] = [
        Setting(prior: normalized([1, 1, 1]), policy: normalized([1, 1, 1]), k: 2),
        Setting(prior: normalized([1, 0.5, 0.33, 0.25]), policy: normalized([1, 1, 1, 1]), k: 3),
        Setting(prior: normalized([0.1, 0.6, 0.3]), policy: normalized([0.5, 0.2, 0.3]), k: 4),
        Setting(prior: normalized([0.7, 0.3]), policy: normalized([0.4, 0.6]), k: 5),
        Setting(prior: normalized([0.2, 0.2, 0.3, 0.1, 0.2]), policy: normalized([0.3, 0.1, 0.1, 0.25, 0.25]), k: 2),
    ]

    @Test("noiseless rloo and grpo lose exactly the groups whose rewards are all equal: E[1{M = 1} h(q(T_1))]",
          arguments: settings)
    func allEqualRewardsLoss(_ c: Setting) throws {
        let expected = GradientExact.noiselessCentredLoss(prior: c.prior, policy: c.policy, groupSize: c.k)
        #expect(expected > 0)
        for advantage in [Advantage.rloo, .grpo] {
            let info = try #require(GradientExact.information(prior: c.prior, policy: c.policy, groupSize: c.k,
                                                              noise: 0, advantage: advantage))
            #expect(abs(info.lost - expected) <= 1e-12, "\(advantage): lost \(info.lost), expected \(expected)")
        }
        // A fixed baseline keeps every reward in the update: nothing is lost.
        let reinforce = try #require(GradientExact.information(prior: c.prior, policy: c.policy, groupSize: c.k,
                                                               noise: 0, advantage: .reinforce, baseline: 0.5))
        #expect(abs(reinforce.lost) <= 1e-12, "reinforce lost \(reinforce.lost)")
    }

    @Test("I(S; (T, r)) is the group channel's exact value, with and without noise", arguments: settings)
    func observationIsTheGroupChannel(_ c: Setting) throws {
        for eps in [0, 0.1] {
            let info = try #require(GradientExact.information(prior: c.prior, policy: c.policy, groupSize: c.k,
                                                              noise: eps, advantage: .grpo))
            let group = eps == 0
                ? try #require(GroupExact.tuples(prior: c.prior, policy: c.policy, groupSize: c.k)).information
                : try #require(GroupExact.tuplesNoisy(prior: c.prior, policy: c.policy, groupSize: c.k, noise: eps))
            #expect(abs(info.observation - group) <= 1e-12, "eps \(eps): \(info.observation) vs group \(group)")
        }
    }

    @Test("0 <= I(S; g) <= I(S; g | T) <= I(S; (T, r)) and 0 <= I(g; T) <= H(T), every advantage, with and without noise",
          arguments: settings)
    func orderings(_ c: Setting) throws {
        let entropyOfRollouts = Double(c.k) * Information.entropy(c.policy)
        for eps in [0, 0.05] {
            for advantage in [Advantage.reinforce, .rloo, .grpo] where advantage != .rloo || c.k >= 2 {
                let info = try #require(GradientExact.information(prior: c.prior, policy: c.policy, groupSize: c.k,
                                                                  noise: eps, advantage: advantage, baseline: 0.3))
                let label = "\(advantage) eps \(eps)"
                #expect(info.gradient >= -1e-12, "\(label)")
                #expect(info.gradient <= info.givenRollouts + 1e-12, "\(label): I(S; g) \(info.gradient) > I(S; g | T) \(info.givenRollouts)")
                #expect(info.givenRollouts <= info.observation + 1e-12, "\(label)")
                #expect(info.aboutRollouts >= -1e-12 && info.aboutRollouts <= entropyOfRollouts + 1e-12, "\(label)")
            }
        }
    }

    /// I(S; g) again, from a joint table built here: the update computed
    /// from its definition, g_t = sum_i A_i (1{T_i = t} - pi_t), keyed by
    /// its coordinates printed to 9 decimals.
    @Test("I(S; g) agrees with a joint table built independently", arguments: [0.0, 0.1])
    func independentJoint(eps: Double) throws {
        let q = Self.normalized([0.5, 0.3, 0.2]), pi = Self.normalized([0.2, 0.3, 0.5])
        let k = 3
        for advantage in [Advantage.reinforce, .rloo, .grpo] {
            var joint = JointDistribution()
            forEachTuple(base: 3, length: k) { tuple in
                let pT = tuple.reduce(1.0) { $0 * pi[$1] }
                for s in 0..<3 {
                    forEachTuple(base: 2, length: k) { flips in
                        let pF = flips.reduce(1.0) { $0 * ($1 == 1 ? eps : 1 - eps) }
                        let r = (0..<k).map { (tuple[$0] == s ? 1 : 0) ^ flips[$0] }
                        let rbar = Double(r.reduce(0, +)) / Double(k)
                        let a: [Double]
                        switch advantage {
                        case .reinforce: a = r.map { Double($0) - 0.3 }
                        case .rloo: a = r.map { (Double($0) - rbar) * Double(k) / Double(k - 1) }
                        case .grpo:
                            let sd = (r.reduce(0.0) { $0 + (Double($1) - rbar) * (Double($1) - rbar) } / Double(k)).squareRoot()
                            a = r.map { sd == 0 ? 0 : (Double($0) - rbar) / sd }
                        case .perToken: preconditionFailure("not a vocabulary update")
                        }
                        let g = (0..<3).map { t in (0..<k).reduce(0.0) { $0 + a[$1] * ((tuple[$1] == t ? 1 : 0) - pi[t]) } }
                        joint.add(answer: s, observation: g.map { Int(($0 * 1e9).rounded()) }, probability: q[s] * pT * pF)
                    }
                }
            }
            let info = try #require(GradientExact.information(prior: q, policy: pi, groupSize: k, noise: eps,
                                                              advantage: advantage, baseline: 0.3))
            #expect(abs(info.gradient - joint.mutualInformation) <= 1e-9,
                    "\(advantage) eps \(eps): \(info.gradient) vs \(joint.mutualInformation)")
        }
    }
}

extension GradientExactTests {
    @Test("the noiseless closed forms agree with the enumeration", arguments: settings)
    func closedForms(_ c: Setting) throws {
        let observation = try #require(GroupExact.tuples(prior: c.prior, policy: c.policy, groupSize: c.k)).information
        for (advantage, baseline) in [(Advantage.rloo, 0.0), (.grpo, 0), (.reinforce, 0), (.reinforce, 0.3), (.reinforce, 0.5)] {
            let enumerated = try #require(GradientExact.information(prior: c.prior, policy: c.policy, groupSize: c.k,
                                                                    noise: 0, advantage: advantage, baseline: baseline))
            let closed = try #require(GradientExact.noiseless(prior: c.prior, policy: c.policy, groupSize: c.k,
                                                              advantage: advantage, baseline: baseline,
                                                              observation: observation))
            let label = "\(advantage) b=\(baseline)"
            #expect(abs(closed.gradient - enumerated.gradient) <= 1e-12, "\(label): I(S; g) \(closed.gradient) vs \(enumerated.gradient)")
            #expect(abs(closed.givenRollouts - enumerated.givenRollouts) <= 1e-12, "\(label): I(S; g | T)")
            #expect(abs(closed.lost - enumerated.lost) <= 1e-12, "\(label): lost")
        }
        #expect(GradientExact.noiseless(prior: c.prior, policy: c.policy, groupSize: c.k, advantage: .reinforce,
                                        baseline: 1.5, observation: observation) == nil)
    }
}
