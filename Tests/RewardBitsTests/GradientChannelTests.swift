import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// The gradient channel's Monte Carlo (exact posteriors per prompt) against
/// its exact values: enumeration for small V and K, the noiseless closed
/// forms for large V, per-token values against a brute-force joint table.
@Suite("gradient channel: Monte Carlo against exact values")
struct GradientChannelTests {
    struct Setting: CustomTestStringConvertible, Sendable {
        var v: UInt64, k: Int
        var prior: DistributionSpec = .uniform, policy: DistributionSpec = .uniform
        var noise: Double
        var advantage: Advantage
        var baseline: Double = 0
        var testDescription: String {
            "V=\(v) K=\(k) \(advantage.rawValue) b=\(baseline) eps=\(noise) prior=\(prior) policy=\(policy)"
        }
    }

    static let small: [Setting] = [
        Setting(v: 4, k: 3, noise: 0, advantage: .rloo),
        Setting(v: 4, k: 3, noise: 0.1, advantage: .rloo),
        Setting(v: 4, k: 3, noise: 0, advantage: .grpo),
        Setting(v: 4, k: 4, prior: .zipf(1), noise: 0.2, advantage: .grpo),
        Setting(v: 5, k: 3, prior: .zipf(1), policy: .zipf(0.5), noise: 0.1, advantage: .rloo),
        Setting(v: 4, k: 3, noise: 0, advantage: .reinforce),
        Setting(v: 3, k: 4, policy: .zipf(1), noise: 0.2, advantage: .reinforce, baseline: 0.5),
        Setting(v: 4, k: 2, prior: .zipf(1.2), noise: 0.1, advantage: .reinforce, baseline: 0.3),
        Setting(v: 3, k: 3, noise: 0.1, advantage: .reinforce, baseline: 1.5),
    ]

    @Test("every component within 5 standard errors of the enumeration", arguments: small)
    func enumeration(_ c: Setting) throws {
        let channel = try GradientChannel(vocabularySize: c.v, groupSize: c.k, prompts: 40_000, prior: c.prior,
                                          policy: c.policy, noise: c.noise, advantage: c.advantage, baseline: c.baseline)
        let exact = channel.exactValues()
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, try #require(exact.gradient), "I(S; g)")
        let expected = [exact.givenRollouts, exact.observation, exact.lost, exact.aboutRollouts]
        #expect(result.components.map(\.name) == ["given_rollouts", "observation", "lost", "about_rollouts"])
        for (component, value) in zip(result.components, expected) {
            expectNear(component.estimate, try #require(value), component.name)
        }
    }

    @Test("noiseless closed forms beyond enumeration, and the all-equal-rewards loss",
          arguments: [(Advantage.rloo, 0.0), (.grpo, 0.0), (.reinforce, 0.0), (.reinforce, 0.5)],
          [(UInt64(256), DistributionSpec.uniform, DistributionSpec.uniform), (12, .zipf(1.1), .zipf(0.8))])
    func closedForms(_ rule: (Advantage, Double), _ model: (UInt64, DistributionSpec, DistributionSpec)) throws {
        let (advantage, baseline) = rule
        let (v, prior, policy) = model
        let channel = try GradientChannel(vocabularySize: v, groupSize: 6, prompts: 60_000, prior: prior,
                                          policy: policy, advantage: advantage, baseline: baseline)
        let q = (0..<Int(v)).map(channel.prior.probability), pi = (0..<Int(v)).map(channel.policy.probability)
        #expect(GradientExact.information(prior: q, policy: pi, groupSize: 6, noise: 0, advantage: advantage,
                                          baseline: baseline) == nil, "this model should be past the enumeration")
        let exact = channel.exactValues()
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, try #require(exact.gradient))
        for (component, value) in zip(result.components, [exact.givenRollouts, exact.observation, exact.lost]) {
            expectNear(component.estimate, try #require(value), component.name)
        }
        if advantage != .reinforce {
            let loss = GradientExact.noiselessCentredLoss(prior: q, policy: pi, groupSize: 6)
            #expect(abs(try #require(exact.lost) - loss) <= 1e-12)
            expectNear(result.components[2].estimate, loss, "lost")
        }
    }

    @Test("per-token values equal a brute-force joint table, and the Monte Carlo agrees",
          arguments: [(2, 0.5, 0.0), (3, 0.3, 0.1), (4, 0.8, 0.25)])
    func perToken(_ k: Int, _ bias: Double, _ noise: Double) throws {
        // One position: s ~ Bernoulli(bias), K fair bits x and K flips.
        var gradient = JointDistribution(), observation = JointDistribution(), about = JointDistribution()
        var givenRollouts = 0.0
        forEachTuple(base: 2, length: k) { x in
            var perX = JointDistribution()
            let px = pow(0.5, Double(k))
            for s in 0...1 {
                let ps = s == 1 ? bias : 1 - bias
                forEachTuple(base: 2, length: k) { f in
                    var pf = 1.0
                    var g = 0
                    var r: [Int] = []
                    for i in 0..<k {
                        pf *= f[i] == 1 ? noise : 1 - noise
                        let reward = (x[i] == s ? 1 : 0) ^ f[i]
                        r.append(reward)
                        g += reward * (x[i] == 1 ? 1 : -1)
                    }
                    let p = px * ps * pf
                    gradient.add(answer: s, observation: [g], probability: p)
                    observation.add(answer: s, observation: x + r, probability: p)
                    perX.add(answer: s, observation: [g], probability: ps * pf)
                    about.add(answer: x.reduce(0) { $0 * 2 + $1 }, observation: [g], probability: p)
                }
            }
            givenRollouts += px * perX.mutualInformation
        }
        let table = PerTokenGradient(groupSize: k, targetBias: bias, noise: noise)
        #expect(abs(table.exact.gradient - gradient.mutualInformation) <= 1e-12)
        #expect(abs(table.exact.givenRollouts - givenRollouts) <= 1e-12)
        #expect(abs(table.exact.observation - observation.mutualInformation) <= 1e-12)
        #expect(abs(table.exact.aboutRollouts - about.mutualInformation) <= 1e-12)

        let channel = try GradientChannel(groupSize: k, prompts: 20_000, noise: noise, advantage: .perToken, length: 12,
                                          targetBias: bias)
        let exact = channel.exactValues()
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, 12 * table.exact.gradient)
        for (component, value) in zip(result.components, [exact.givenRollouts, exact.observation, exact.lost, exact.aboutRollouts]) {
            expectNear(component.estimate, try #require(value), component.name)
        }
    }

    @Test("bad input gets one line naming the parameter")
    func badInput() {
        #expect(throws: RewardBitsError.self) { try GradientChannel(vocabularySize: 8, groupSize: 1, prompts: 10, advantage: .rloo) }
        #expect(throws: RewardBitsError.self) { try GradientChannel(vocabularySize: 8, groupSize: 65, prompts: 10, advantage: .grpo) }
        #expect(throws: RewardBitsError.self) {
            try GradientChannel(vocabularySize: 8, groupSize: 4, prompts: 10, advantage: .grpo, baseline: 0.5)
        }
        #expect(throws: RewardBitsError.self) {
            try GradientChannel(groupSize: 4, prompts: 10, prior: .zipf(1), advantage: .perToken, length: 4)
        }
    }
}
