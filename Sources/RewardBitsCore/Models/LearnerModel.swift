import Foundation

/// A learner that adapts across steps of K rollouts on one prompt, as the
/// learner kernels run it: which policy draws each step's rollouts and how
/// the rewards move it.
public struct LearnerModel: Sendable {
    public enum Kind: Sendable, Equatable {
        /// The fixed initial policy.
        case fixed
        /// pi_t proportional to the posterior to the power beta (Thompson
        /// sampling of K rollouts at beta = 1).
        case tempered(beta: Double)
        /// K untried tokens per step, drawn from the initial policy without
        /// replacement; after a hit (S known) every rollout is S.
        case elimination
        /// Tabular softmax logits moved by eta sum_i A_i grad log pi(T_i)
        /// plus eta lambda grad H(pi).
        case reinforce(rule: GradientLikelihood.Rule, learningRate: Double, entropyBonus: Double)
    }

    public var kind: Kind
    public var vocabularySize: Int
    public var groupSize: Int
    public var steps: Int
    public var noise: Double
    /// Prior and initial policy masses (explicit, V entries each).
    public var prior: [Double]
    public var policy: [Double]

    public init(kind: Kind, vocabularySize: Int, groupSize: Int, steps: Int, noise: Double, prior: [Double], policy: [Double]) {
        self.kind = kind
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.steps = steps
        self.noise = noise
        self.prior = prior
        self.policy = policy
    }

    /// The per-sample values a run reports, in this order: I(S; H_t) terms
    /// for t = 1 ... n, then the kept terms, then the hit rates.
    public func valueIndex(information step: Int) -> Int { step }
    public func valueIndex(kept step: Int) -> Int { steps + step }
    public func valueIndex(hitRate step: Int) -> Int { 2 * steps + step }

    /// The advantages of the rewards `r` under `rule` (grpo: 0 when all are equal).
    public static func advantages(_ r: [Int], rule: GradientLikelihood.Rule) -> [Double] {
        let k = r.count
        let total = Double(r.reduce(0, +))
        switch rule {
        case .reinforce(let b):
            return r.map { Double($0) - b }
        case .rloo:
            return k < 2 ? [Double](repeating: 0, count: k) : r.map { Double($0) - (total - Double($0)) / Double(k - 1) }
        case .grpo:
            let mean = total / Double(k)
            let variance = mean * (1 - mean)
            guard variance > 0 else { return [Double](repeating: 0, count: k) }
            return r.map { (Double($0) - mean) / variance.squareRoot() }
        }
    }
}

/// D(posterior || prior) in bits for a posterior proportional to
/// mass x likelihood over groups of answers that share a likelihood.
public enum Posterior {
    public static func divergence(_ groups: [(mass: Double, logLikelihood: Double)]) -> Double {
        GradientLikelihood.divergence(groups).divergence
    }
}
