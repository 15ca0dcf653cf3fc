import Foundation
import RewardBitsCore
import CBitOps

/// Uniform prior: the value depends on M (rb) or on M and whether S was drawn
/// (pointwise), so a block reduces to integer counts per class.
struct GroupUniformPriorKernel<Policy: KernelSymbolSampler, Distinct: DistinctSet>: SourceKernel {
    typealias Statistics = GroupStatistics
    let policy: Policy
    let answers: UniformSymbols
    let vocabularySize: UInt64
    let groupSize: Int
    let pointwise: Bool

    init(policy: Policy, vocabularySize: UInt64, groupSize: Int, pointwise: Bool) {
        self.policy = policy
        self.answers = UniformSymbols(vocabularySize: vocabularySize)
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.pointwise = pointwise
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<GroupStatistics> {
        let k = groupSize
        let batchPrompts = groupBatchPrompts(k)
        var statistics = GroupStatistics()
        var counts = [UInt64](repeating: 0, count: (k + 1) * (pointwise ? 2 : 1))
        var distinct = Distinct(vocabularySize: vocabularySize, groupSize: k)
        #if REWARDBITS_AVX512
        let inRegisters = firstOccurrencesInRegisters(k)
        let lanes = GroupPackedKernel.VectorLanes(groupSize: min(k, GroupPackedKernel.VectorLanes.maximumGroupSize))
        #endif
        let tokens = paddedTokens(batchPrompts * k)
        // The AVX2 copy sorts 16 prompts side by side (see `PromptSets`),
        // with the batch's answers drawn first, in prompt order as below.
        #if REWARDBITS_AVX2
        var sets = k <= GroupPackedKernel.PromptSets.maximumGroupSize && vocabularySize <= 1 << 16
            && GroupPackedKernel.sortsByLanes ? GroupPackedKernel.PromptSets(groupSize: k) : nil
        #else
        var sets: GroupPackedKernel.PromptSets? = nil
        #endif
        let batchAnswers = UnsafeMutablePointer<UInt32>.allocate(capacity: sets != nil && pointwise ? batchPrompts : 0)
        counts.withUnsafeMutableBufferPointer { counts in
            var done = 0
            while done < samples {
                let batch = min(batchPrompts, samples - done)
                policy.fillSymbols(tokens, count: batch * k, from: &source)
                if sets != nil {
                    if pointwise { for prompt in 0..<batch { batchAnswers[prompt] = answers.draw(&source) } }
                    sets!.add(tokens, answers: pointwise ? batchAnswers : nil, prompts: batch, into: counts)
                    done += batch
                    continue
                }
                for prompt in 0..<batch {
                    let group = tokens + prompt * k
                    var m = 0
                    #if REWARDBITS_AVX512
                    if inRegisters {
                        m = GroupPackedKernel.freshLanes(group, lanes).nonzeroBitCount
                        if pointwise {
                            let answer = answers.draw(&source)
                            counts[2 * m + (GroupPackedKernel.contains(group, lanes, answer) ? 1 : 0)] += 1
                        } else {
                            counts[m] += 1
                        }
                        continue
                    }
                    #endif
                    m = distinct.insert(group, count: k)
                    if pointwise {
                        let answer = answers.draw(&source)
                        counts[2 * m + (distinct.contains(answer) ? 1 : 0)] += 1
                    } else {
                        counts[m] += 1
                    }
                    distinct.reset(group, count: k)
                }
                done += batch
            }
            sets?.finish(into: counts)
        }
        sets?.release()
        batchAnswers.deallocate()
        tokens.deallocate()
        distinct.release()
        statistics.classes.counts = counts
        return BlockResult(statistics: statistics, rollouts: UInt64(samples) * UInt64(k))
    }
}
