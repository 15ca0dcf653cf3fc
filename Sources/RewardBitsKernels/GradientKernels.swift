import Foundation
import RewardBitsCore

/// One prompt per sample: the answer, K rollouts and their flips are drawn,
/// and the exact posteriors of `GradientLikelihood` give the five values
/// (I(S; g), I(S; g | T), I(S; (T, r)), lost, I(g; T)). Scalar: the
/// posterior of one update costs O(K^3) or more, far above the draws.
struct GradientVocabularyKernel<Prior: SymbolSampler, Policy: SymbolSampler>: SourceKernel {
    typealias Statistics = MomentsVector
    let model: GradientLikelihood
    let prior: Prior
    let policy: Policy
    let flips: BernoulliWords?
    let layout: ValueLayout

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<MomentsVector> {
        var statistics = layout.emptyStatistics()
        let k = model.groupSize
        for _ in 0..<samples {
            let answer = Int(prior.draw(&source))
            var prompt = GradientLikelihood.Prompt(tokens: [], counts: [], rewarded: [])
            let flipped = flips?.word(&source) ?? 0
            for i in 0..<k {
                let t = Int(policy.draw(&source))
                let reward = (t == answer ? 1 : 0) ^ Int(flipped >> UInt64(i) & 1)
                if let j = prompt.tokens.firstIndex(of: t) {
                    prompt.counts[j] += 1
                    prompt.rewarded[j] += reward
                } else {
                    prompt.tokens.append(t)
                    prompt.counts.append(1)
                    prompt.rewarded.append(reward)
                }
            }
            let values = model.values(prompt).reported
            statistics.add(values, rare: layout.rare(values))
        }
        return BlockResult(statistics: statistics, rollouts: UInt64(samples * k))
    }
}

/// One prompt of K rollouts of T binary tokens per sample: per position the
/// target bit, K policy bits and K flips give (n1, h1, h0), whose values are
/// looked up and summed over the T positions.
struct GradientPerTokenKernel: SourceKernel {
    typealias Statistics = MomentsVector
    let model: PerTokenGradient
    let length: Int
    let targets: BernoulliWords
    let flips: BernoulliWords?
    let layout: ValueLayout

    init(model: PerTokenGradient, length: Int, layout: ValueLayout) {
        self.model = model
        self.length = length
        targets = BernoulliWords(probability: model.targetBias)
        flips = model.noise > 0 ? BernoulliWords(probability: model.noise) : nil
        self.layout = layout
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<MomentsVector> {
        var statistics = layout.emptyStatistics()
        let k = model.groupSize
        let mask: UInt64 = k == 64 ? .max : (1 << UInt64(k)) - 1
        for _ in 0..<samples {
            var sums = [Double](repeating: 0, count: 5)
            var targetWord: UInt64 = 0
            for position in 0..<length {
                if position & 63 == 0 { targetWord = targets.word(&source) }
                let target = targetWord >> UInt64(position & 63) & 1 == 1
                let ones = source.next64() & mask
                let flipped = (flips?.word(&source) ?? 0) & mask
                let right = target ? ones : ~ones & mask
                let rewards = (right ^ flipped) & mask
                let n1 = ones.nonzeroBitCount
                let h1 = (ones & rewards).nonzeroBitCount
                let h0 = (~ones & rewards & mask).nonzeroBitCount
                let v = model.values[model.index(ones: n1, rewardedOnes: h1, rewardedZeros: h0)]
                sums[0] += v.gradient
                sums[1] += v.givenRollouts
                sums[2] += v.observation
                sums[3] += v.lost
                sums[4] += v.aboutRollouts
            }
            let values = sums
            statistics.add(values, rare: layout.rare(values))
        }
        return BlockResult(statistics: statistics, rollouts: UInt64(samples * k))
    }
}

extension KernelSet: GradientKernelFactory {
    public static func gradientVocabulary(model: GradientLikelihood, prior: AnySymbolSampler, policy: AnySymbolSampler,
                                          layout: ValueLayout) -> any BlockKernel<MomentsVector> {
        let flips = model.noise > 0 ? BernoulliWords(probability: model.noise) : nil
        switch (prior, policy) {
        case (.uniform(let q), .uniform(let p)):
            return SpecializedKernel(GradientVocabularyKernel(model: model, prior: q, policy: p, flips: flips, layout: layout))
        case (.uniform(let q), .alias(let p)):
            return SpecializedKernel(GradientVocabularyKernel(model: model, prior: q, policy: p, flips: flips, layout: layout))
        case (.alias(let q), .uniform(let p)):
            return SpecializedKernel(GradientVocabularyKernel(model: model, prior: q, policy: p, flips: flips, layout: layout))
        case (.alias(let q), .alias(let p)):
            return SpecializedKernel(GradientVocabularyKernel(model: model, prior: q, policy: p, flips: flips, layout: layout))
        }
    }

    public static func gradientPerToken(model: PerTokenGradient, length: Int, layout: ValueLayout) -> any BlockKernel<MomentsVector> {
        SpecializedKernel(GradientPerTokenKernel(model: model, length: length, layout: layout))
    }
}
