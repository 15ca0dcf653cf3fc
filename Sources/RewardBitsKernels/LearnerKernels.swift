import Foundation
import RewardBitsCore

/// One independent learner per sample: the answer S is drawn from the
/// prior, then each step draws K rollouts from the learner's current policy,
/// rewards them (flips with probability eps) and updates both the exact
/// posterior of S and the learner's policy.
///
/// Per step it reports D(P(S | H_t) || q) (the posterior's divergence from
/// the prior, whose mean is I(S; H_t)), log2 pi_t(S) - log2 q(S) for the
/// policy after the step (whose mean is the information kept) and the
/// share of the step's rollouts that hit S.
///
/// The changing policies live in a `SumTree`: a draw and a one-token update
/// cost O(log V), so a step whose update touches only its sampled tokens
/// (tempered, elimination, rloo and grpo) costs O(K log V); updates that
/// move every logit (a fixed baseline's -(sum A) pi term, an entropy bonus)
/// rebuild it in O(V).
struct LearnerKernel<Prior: SymbolSampler, Policy: SymbolSampler>: SourceKernel {
    typealias Statistics = MomentsVector
    let model: LearnerModel
    let prior: Prior
    let policy: Policy
    let flips: BernoulliWords?
    let layout: ValueLayout
    /// The tree's starting leaves: q^beta (tempered), pi (elimination,
    /// reinforce), unused for the fixed policy.
    let initialWeights: [Double]
    let logInitialPolicy: [Double]

    init(model: LearnerModel, prior: Prior, policy: Policy, layout: ValueLayout) {
        self.model = model
        self.prior = prior
        self.policy = policy
        self.layout = layout
        flips = model.noise > 0 ? BernoulliWords(probability: model.noise) : nil
        switch model.kind {
        case .tempered(let beta):
            initialWeights = model.prior.map { $0 > 0 ? exp(beta * log($0)) : 0 }
        default:
            initialWeights = model.policy
        }
        logInitialPolicy = model.policy.map { $0 > 0 ? log($0) : -.infinity }
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<MomentsVector> {
        var statistics = layout.emptyStatistics()
        let n = model.steps, k = model.groupSize, v = model.vocabularySize
        let q = model.prior
        let noisy = model.noise > 0
        let logRho = noisy ? log(model.noise / (1 - model.noise)) : 0
        var tree = try! SumTree(weights: initialWeights)
        // Per token: sum over its rollouts of (1 - 2 r), the exponent of rho
        // in its likelihood ratio to an untried token (noisy); or whether it
        // was ruled out (noiseless).
        var exponent = [Int32](repeating: 0, count: v)
        var ruledOut = [Bool](repeating: false, count: v)
        var touched: [Int] = []
        var isTouched = [Bool](repeating: false, count: v)
        // Tempered: the leaves are exp(beta (log q + exponent log rho) - shift).
        var shift = 0.0
        // Reinforce: the logits, the leaves exp(logit - shift).
        var logits = logInitialPolicy
        var rollouts = [Int](repeating: 0, count: k)
        var rewards = [Int](repeating: 0, count: k)
        var values = [Double](repeating: 0, count: 3 * n)
        var rollouts64: UInt64 = 0
        // Whether this run rebuilt the reinforce learner's tree (every logit moved).
        var rebuilt = false

        for _ in 0..<samples {
            let answer = Int(prior.draw(&source))
            // Back to the initial state.
            switch model.kind {
            case .reinforce:
                // Only the tried tokens moved unless the tree was rebuilt:
                // restoring them costs O(K n log V), not O(V), and gives the
                // same tree bit for bit (`SumTree`).
                if rebuilt {
                    logits = logInitialPolicy
                    tree = try! SumTree(weights: initialWeights)
                    shift = 0
                } else {
                    for t in touched {
                        logits[t] = logInitialPolicy[t]
                        tree.update(t, weight: initialWeights[t])
                    }
                }
            case .tempered:
                if shift != 0 {
                    tree = try! SumTree(weights: initialWeights)
                    shift = 0
                } else {
                    for t in touched { tree.update(t, weight: initialWeights[t]) }
                }
            case .elimination:
                for t in touched { tree.update(t, weight: initialWeights[t]) }
            case .fixed:
                break
            }
            for t in touched {
                exponent[t] = 0
                ruledOut[t] = false
                isTouched[t] = false
            }
            touched.removeAll(keepingCapacity: true)
            rebuilt = false
            var found = false
            var ruledMass = 0.0

            for step in 0..<n {
                // The step's rollouts.
                var drawn = 0
                for i in 0..<k {
                    let t: Int
                    switch model.kind {
                    case .fixed:
                        t = Int(policy.draw(&source))
                    case .tempered:
                        t = found ? answer : tree.draw(word: source.next64())
                    case .reinforce:
                        t = tree.draw(word: source.next64())
                    case .elimination:
                        if found {
                            t = answer
                        } else if tree.total > 0 {
                            t = tree.draw(word: source.next64())
                            tree.update(t, weight: 0)
                        } else {
                            t = -1    // every token tried
                        }
                    }
                    if t < 0 { break }
                    rollouts[i] = t
                    drawn = i + 1
                }
                let flipped = flips?.word(&source) ?? 0
                var hits = 0
                for i in 0..<drawn {
                    let hit = rollouts[i] == answer
                    if hit { hits += 1 }
                    rewards[i] = (hit ? 1 : 0) ^ Int(flipped >> UInt64(i) & 1)
                }
                rollouts64 += UInt64(drawn)

                // The reinforce learner moves its logits with pi_t before this step's update.
                if case .reinforce(let rule, let eta, let bonus) = model.kind, drawn > 0 {
                    let a = LearnerModel.advantages(Array(rewards[0..<drawn]), rule: rule)
                    var sumA = 0.0
                    if case .reinforce = rule { sumA = a.reduce(0, +) }
                    let dense = sumA != 0 || bonus > 0
                    if dense {
                        let total = tree.total
                        var pi = [Double](repeating: 0, count: v)
                        var entropy = 0.0
                        for s in 0..<v {
                            pi[s] = tree.weight(s) / total
                            if pi[s] > 0 { entropy -= pi[s] * log(pi[s]) }
                        }
                        for s in 0..<v where pi[s] > 0 {
                            logits[s] -= eta * sumA * pi[s]
                            if bonus > 0 { logits[s] -= eta * bonus * pi[s] * (log(pi[s]) + entropy) }
                        }
                    }
                    for i in 0..<drawn { logits[rollouts[i]] += eta * a[i] }
                    var top = -Double.infinity
                    if dense {
                        for s in 0..<v { top = max(top, logits[s]) }
                    } else {
                        for i in 0..<drawn { top = max(top, logits[rollouts[i]]) }
                    }
                    if dense || top - shift > 600 || top - shift < -600 {
                        if !dense { for s in 0..<v { top = max(top, logits[s]) } }
                        shift = top
                        tree = try! SumTree(weights: logits.map { exp($0 - shift) })
                        rebuilt = true
                    } else {
                        for i in 0..<drawn { tree.update(rollouts[i], weight: exp(logits[rollouts[i]] - shift)) }
                    }
                }

                // The posterior.
                for i in 0..<drawn {
                    let t = rollouts[i]
                    if !isTouched[t] {
                        isTouched[t] = true
                        touched.append(t)
                    }
                    if noisy {
                        exponent[t] += rewards[i] == 1 ? -1 : 1
                    } else if rewards[i] == 1 {
                        found = true
                    } else if !ruledOut[t] {
                        ruledOut[t] = true
                        ruledMass += q[t]
                    }
                }
                let information: Double
                if noisy {
                    var groups: [(mass: Double, logLikelihood: Double)] = []
                    groups.reserveCapacity(touched.count + 1)
                    var touchedMass = 0.0
                    for t in touched {
                        touchedMass += q[t]
                        groups.append((q[t], Double(exponent[t]) * logRho))
                    }
                    groups.append((max(0, 1 - touchedMass), 0))
                    information = Posterior.divergence(groups)
                } else {
                    information = found ? -log2(q[answer]) : -log2(max(1 - ruledMass, .leastNormalMagnitude))
                }

                // The tempered policy follows the posterior of the tokens just tried.
                if case .tempered(let beta) = model.kind, !found {
                    var top = -Double.infinity
                    for i in 0..<drawn {
                        let t = rollouts[i]
                        guard !ruledOut[t], q[t] > 0 else { continue }
                        top = max(top, beta * (log(q[t]) + Double(exponent[t]) * logRho))
                    }
                    if top - shift > 600 {
                        shift = top
                        var weights = [Double](repeating: 0, count: v)
                        for s in 0..<v where q[s] > 0 && !ruledOut[s] {
                            weights[s] = exp(beta * (log(q[s]) + Double(exponent[s]) * logRho) - shift)
                        }
                        tree = try! SumTree(weights: weights)
                    } else {
                        for i in 0..<drawn {
                            let t = rollouts[i]
                            let w = ruledOut[t] || q[t] == 0 ? 0 : exp(beta * (log(q[t]) + Double(exponent[t]) * logRho) - shift)
                            tree.update(t, weight: w)
                        }
                    }
                }

                // log2 pi_t(S) for the policy after the step.
                let logPolicy: Double
                switch model.kind {
                case .fixed:
                    logPolicy = log(model.policy[answer])
                case .tempered(let beta):
                    logPolicy = found ? 0 : beta * (log(q[answer]) + Double(exponent[answer]) * logRho) - shift - log(tree.total)
                case .elimination:
                    logPolicy = found ? 0 : log(tree.weight(answer)) - log(tree.total)
                case .reinforce:
                    logPolicy = logits[answer] - shift - log(tree.total)
                }
                values[model.valueIndex(information: step)] = information
                values[model.valueIndex(kept: step)] = (logPolicy - log(q[answer])) / M_LN2
                values[model.valueIndex(hitRate: step)] = drawn > 0 ? Double(hits) / Double(drawn) : 0
            }
            statistics.add(values, rare: layout.rare(values))
        }
        return BlockResult(statistics: statistics, rollouts: rollouts64)
    }
}

extension KernelSet: LearnerKernelFactory {
    public static func learner(model: LearnerModel, prior: AnySymbolSampler, policy: AnySymbolSampler,
                               layout: ValueLayout) -> any BlockKernel<MomentsVector> {
        switch (prior, policy) {
        case (.uniform(let q), .uniform(let p)):
            return SpecializedKernel(LearnerKernel(model: model, prior: q, policy: p, layout: layout))
        case (.uniform(let q), .alias(let p)):
            return SpecializedKernel(LearnerKernel(model: model, prior: q, policy: p, layout: layout))
        case (.alias(let q), .uniform(let p)):
            return SpecializedKernel(LearnerKernel(model: model, prior: q, policy: p, layout: layout))
        case (.alias(let q), .alias(let p)):
            return SpecializedKernel(LearnerKernel(model: model, prior: q, policy: p, layout: layout))
        }
    }
}
