import Foundation
import RewardBitsCore
import CBitOps

// What the group kernels share, and the group channel's kernel factory.

/// Number of tokens a group kernel draws per batch (whole prompts).
func groupBatchPrompts(_ k: Int) -> Int { max(1, 4096 / k) }

#if REWARDBITS_AVX512
/// Whether the kernels for other priors and policies find a group's first
/// occurrences in registers (`GroupPackedKernel.freshLanes`) instead of by a
/// stamp-table or hash-set insert per token: for K <= 64 where conflict
/// detection is fast. The same tokens count, summed in the same order.
func firstOccurrencesInRegisters(_ k: Int) -> Bool {
    k <= GroupPackedKernel.VectorLanes.maximumGroupSize && GroupPackedKernel.distinctCounting == .conflict
}
#endif

/// Room for `count` tokens and 64 more, zeroed: the register path loads 32
/// or 64 tokens from the start of every group, whatever K (the lanes past K
/// are masked off).
func paddedTokens(_ count: Int) -> UnsafeMutablePointer<UInt32> {
    let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: count + 64)
    tokens.initialize(repeating: 0, count: count + 64)
    return tokens
}

/// A batch's per-prompt sums (Q, sum_d phi(q_d)) waiting for their psi(Q),
/// which is then taken eight prompts at a time (`Information.psi` on SIMD8)
/// and added to the moments in prompt order.
struct PendingValues {
    let masses: UnsafeMutablePointer<Double>
    let entropies: UnsafeMutablePointer<Double>
    let capacity: Int

    init(capacity: Int) {
        // Whole vectors: the lanes past a short batch's end hold zeros or an
        // earlier batch's sums, taken through psi and not added.
        self.capacity = (capacity + 7) / 8 * 8
        masses = .allocate(capacity: self.capacity)
        masses.initialize(repeating: 0, count: self.capacity)
        entropies = .allocate(capacity: self.capacity)
        entropies.initialize(repeating: 0, count: self.capacity)
    }

    func add(_ count: Int, to moments: inout StratifiedMoments, rareThreshold: Double) {
        var start = 0
        while start < count {
            let mass = UnsafeRawPointer(masses + start).loadUnaligned(as: SIMD8<Double>.self)
            let entropy = UnsafeRawPointer(entropies + start).loadUnaligned(as: SIMD8<Double>.self)
            let values = entropy + Information.psi(mass)
            for lane in 0..<min(8, count - start) { moments.add(values[lane], rare: values[lane] >= rareThreshold) }
            start += 8
        }
    }

    func release() {
        masses.deallocate()
        entropies.deallocate()
    }
}

#if REWARDBITS_AVX512
/// Per prompt (Q, sum_d phi(q_d)): the sum of the table entries of its K
/// tokens, added in token order from zero. Four prompts run side by side,
/// each its own chain of adds, so the adds' latency overlaps instead of
/// queueing 32 deep; every prompt's sum is the same number as one prompt at
/// a time.
@inline(__always)
func sumEntries(_ entries: UnsafeMutablePointer<UInt32>, groupSize k: Int, prompts: Int,
                        table: UnsafeBufferPointer<SIMD2<Double>>, into pending: PendingValues) {
    let table = table.baseAddress!
    var prompt = 0
    while prompt &+ 4 <= prompts {
        let e0 = entries + prompt &* k, e1 = e0 + k, e2 = e1 + k, e3 = e2 + k
        var s0 = SIMD2<Double>(), s1 = SIMD2<Double>(), s2 = SIMD2<Double>(), s3 = SIMD2<Double>()
        for i in 0..<k {
            s0 += table[Int(e0[i])]
            s1 += table[Int(e1[i])]
            s2 += table[Int(e2[i])]
            s3 += table[Int(e3[i])]
        }
        pending.masses[prompt] = s0[0]; pending.entropies[prompt] = s0[1]
        pending.masses[prompt &+ 1] = s1[0]; pending.entropies[prompt &+ 1] = s1[1]
        pending.masses[prompt &+ 2] = s2[0]; pending.entropies[prompt &+ 2] = s2[1]
        pending.masses[prompt &+ 3] = s3[0]; pending.entropies[prompt &+ 3] = s3[1]
        prompt &+= 4
    }
    while prompt < prompts {
        let e = entries + prompt &* k
        var sums = SIMD2<Double>()
        for i in 0..<k { sums += table[Int(e[i])] }
        pending.masses[prompt] = sums[0]; pending.entropies[prompt] = sums[1]
        prompt &+= 1
    }
}
#endif

extension KernelSet: GroupKernelFactory {
    public static func groupUniformPrior(policy: AnySymbolSampler, vocabularySize: UInt64, groupSize: Int,
                                         pointwise: Bool) -> any BlockKernel<GroupStatistics> {
        if case .uniform = policy, vocabularySize <= GroupPackedKernel.maximumVocabulary,
           let packing = PackedFields(vocabularySize: vocabularySize) {
            return SpecializedKernel(GroupPackedKernel(packing: packing, vocabularySize: vocabularySize, groupSize: groupSize,
                                                       pointwise: pointwise))
        }
        let hashed = vocabularySize > StampedDistinctSet.maximumVocabulary
        switch (policy, hashed) {
        case (.uniform(let p), false):
            return SpecializedKernel(GroupUniformPriorKernel<UniformSymbols, StampedDistinctSet>(
                policy: p, vocabularySize: vocabularySize, groupSize: groupSize, pointwise: pointwise))
        case (.uniform(let p), true):
            return SpecializedKernel(GroupUniformPriorKernel<UniformSymbols, HashedDistinctSet>(
                policy: p, vocabularySize: vocabularySize, groupSize: groupSize, pointwise: pointwise))
        case (.alias(let p), false):
            return SpecializedKernel(GroupUniformPriorKernel<AliasTable, StampedDistinctSet>(
                policy: p, vocabularySize: vocabularySize, groupSize: groupSize, pointwise: pointwise))
        case (.alias(let p), true):
            return SpecializedKernel(GroupUniformPriorKernel<AliasTable, HashedDistinctSet>(
                policy: p, vocabularySize: vocabularySize, groupSize: groupSize, pointwise: pointwise))
        }
    }

    public static func group(policy: AnySymbolSampler, prior: AliasTable, priorProbabilities: [Double],
                             vocabularySize: UInt64, groupSize: Int, pointwise: Bool, center: Double,
                             rareThreshold: Double, binWidth: Double?) -> any BlockKernel<GroupStatistics> {
        let hashed = vocabularySize > StampedDistinctSet.maximumVocabulary
        switch (policy, hashed) {
        case (.uniform(let p), false):
            return SpecializedKernel(GroupKernel<UniformSymbols, StampedDistinctSet>(
                policy: p, prior: prior, priorProbabilities: priorProbabilities, vocabularySize: vocabularySize,
                groupSize: groupSize, pointwise: pointwise, center: center, rareThreshold: rareThreshold, binWidth: binWidth))
        case (.uniform(let p), true):
            return SpecializedKernel(GroupKernel<UniformSymbols, HashedDistinctSet>(
                policy: p, prior: prior, priorProbabilities: priorProbabilities, vocabularySize: vocabularySize,
                groupSize: groupSize, pointwise: pointwise, center: center, rareThreshold: rareThreshold, binWidth: binWidth))
        case (.alias(let p), false):
            return SpecializedKernel(GroupKernel<AliasTable, StampedDistinctSet>(
                policy: p, prior: prior, priorProbabilities: priorProbabilities, vocabularySize: vocabularySize,
                groupSize: groupSize, pointwise: pointwise, center: center, rareThreshold: rareThreshold, binWidth: binWidth))
        case (.alias(let p), true):
            return SpecializedKernel(GroupKernel<AliasTable, HashedDistinctSet>(
                policy: p, prior: prior, priorProbabilities: priorProbabilities, vocabularySize: vocabularySize,
                groupSize: groupSize, pointwise: pointwise, center: center, rareThreshold: rareThreshold, binWidth: binWidth))
        }
    }

    public static func groupNoisy(policy: AnySymbolSampler, prior: AliasTable?, priorProbabilities: [Double]?,
                                  vocabularySize: UInt64, groupSize: Int, noise: Double, pointwise: Bool, center: Double,
                                  rareThreshold: Double, rareBelow: Double, binWidth: Double?) -> any BlockKernel<GroupStatistics> {
        switch policy {
        case .uniform(let p):
            return SpecializedKernel(GroupNoisyKernel(policy: p, prior: prior, priorProbabilities: priorProbabilities, vocabularySize: vocabularySize,
                                    groupSize: groupSize, noise: noise, pointwise: pointwise, center: center, rareThreshold: rareThreshold,
                                    rareBelow: rareBelow, binWidth: binWidth))
        case .alias(let p):
            return SpecializedKernel(GroupNoisyKernel(policy: p, prior: prior, priorProbabilities: priorProbabilities, vocabularySize: vocabularySize,
                                    groupSize: groupSize, noise: noise, pointwise: pointwise, center: center, rareThreshold: rareThreshold,
                                    rareBelow: rareBelow, binWidth: binWidth))
        }
    }
}
