import Foundation
import RewardBitsCore
import CBitOps

/// Uniform prior and policy over V = 2^b with b <= 16: tokens come packed
/// from 16-word vectors (see `PackedFields`), and each prompt's class comes
/// from a `PromptClassCounter`: a stamp per symbol in the portable copy
/// (`StampClassCounter`). The AVX-512 copy counts groups
/// in registers instead (conflict detection on AMD for K <= 64, a sorting
/// network on Intel for K <= 32, see `distinctCounting`), and the AVX2 copy
/// sorts 16 prompts of K <= 32 at once, one per 16-bit lane (`PromptSets`,
/// `bitops_group_classes16`): the same counts from the same tokens, faster
/// at every K from 1 to 32 (bench-results/canonical.md).
/// `GroupUniformPriorKernel` does the same for V <= 2^16 (1.2-1.6x there).
struct GroupPackedKernel: SourceKernel {
    typealias Statistics = GroupStatistics
    let packing: PackedFields
    let vocabularySize: Int
    let groupSize: Int
    let pointwise: Bool

    static let maximumVocabulary: UInt64 = 1 << 16

    init(packing: PackedFields, vocabularySize: UInt64, groupSize: Int, pointwise: Bool) {
        self.packing = packing
        self.vocabularySize = Int(vocabularySize)
        self.groupSize = groupSize
        self.pointwise = pointwise
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<GroupStatistics> {
        let k = groupSize
        let perVector = packing.perVector
        // About 1024 tokens per batch, so the batch, the stamps and the stream
        // buffer stay in L1 even when two threads share a core; and a whole
        // number of vectors, so no vector is split between batches.
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        var unit = perVector / gcd(k, perVector)
        #if REWARDBITS_AVX2
        let sortsByLanes = k <= PromptSets.maximumGroupSize && Self.sortsByLanes
        // rb draws no answers, so its batch size is not part of the stream
        // (whole vectors either way): whole sets of 16 prompts then need no
        // staging. Pointwise keeps its batches (its answers take whole
        // vectors per batch).
        if sortsByLanes && !pointwise { unit = unit / gcd(unit, 16) * 16 }
        #endif
        let batchPrompts = unit * k <= 1 << 16 ? max(unit, 1024 / k / unit * unit) : max(1, 1024 / k)
        let capacity = (batchPrompts * k + perVector - 1) / perVector * perVector
        // 64 lanes of padding: the vector path loads 32 or 64 tokens from the
        // start of every group, whatever K.
        let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity + 64)
        tokens.initialize(repeating: 0, count: capacity + 64)
        let answers = UnsafeMutablePointer<UInt32>.allocate(capacity: batchPrompts + perVector)
        var counter = Self.classCounter(groupSize: k, vocabularySize: vocabularySize)
        var counts = [UInt64](repeating: 0, count: (k + 1) * (pointwise ? 2 : 1))
        counts.withUnsafeMutableBufferPointer { counts in
            var done = 0
            while done < samples {
                let batch = min(batchPrompts, samples - done)
                packing.fill(tokens, count: batch * k, from: &source)
                if pointwise { packing.fill(answers, count: batch, from: &source) }
                counter.count(tokens, batch: batch, answers: pointwise ? answers : nil, into: counts)
                done += batch
            }
            counter.finish(into: counts)
        }
        counter.release()
        tokens.deallocate()
        answers.deallocate()
        var statistics = GroupStatistics()
        statistics.classes.counts = counts
        return BlockResult(statistics: statistics, rollouts: UInt64(samples) * UInt64(k))
    }
}
