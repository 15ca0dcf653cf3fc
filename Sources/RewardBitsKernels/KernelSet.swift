import Foundation
import RewardBitsCore
import CBitOps

/// This module's kernels (see `KernelFactory`). The same source is compiled
/// in three modules with different instruction sets.
public enum KernelSet: KernelFactory {
    public static var instructionSet: String {
        #if REWARDBITS_AVX512
        return "avx512"
        #elseif REWARDBITS_AVX2
        return "avx2"
        #else
        return "portable"
        #endif
    }

    public static func fillPhilox(_ words: UnsafeMutablePointer<UInt32>, count: Int, stream: StreamKey) {
        var philox = KernelPhiloxStream(stream)
        var done = 0
        while done < count {
            let chunk = Swift.min(1024, count - done)
            precondition(chunk % KernelPhiloxStream.chunkWords == 0, "count must be a multiple of 256")
            philox.fill(words + done, count: chunk)
            done += chunk
        }
    }

    public static func distinctTokensBySorting(_ x: [UInt32], pairedWith y: [UInt32]) -> (alone: Int, paired: Int, partner: Int) {
        precondition((1...32).contains(x.count) && y.count == x.count && (x + y).allSatisfy { $0 < 1 << 16 })
        // The kernel's groups sit back to back: what follows a group of K < 32
        // (the next group, junk here) must not count.
        let k = x.count
        let junk = (0..<64).map { UInt32($0 * 977 % 65536) }
        let buffer = x + y + junk
        let lanes = GroupPackedKernel.VectorLanes(groupSize: k)
        return buffer.withUnsafeBufferPointer {
            let base = $0.baseAddress!
            let pair = rb_distinct_tokens_pair(base, base + k, lanes.first, lanes.second)
            return (Int(rb_distinct_tokens(base, lanes.first, lanes.second)), Int(pair & 0xFF), Int(pair >> 8))
        }
    }

    public static func groupClasses16(_ prompts: [[UInt32]], answers: [UInt32]?) -> [Int] {
        let k = prompts[0].count
        precondition(prompts.count == 16 && (1...32).contains(k) && prompts.allSatisfy { $0.count == k && $0.allSatisfy { $0 < 1 << 16 } })
        // Prompts back to back, then junk: the 32 words read from the start
        // of a prompt of K < 32 belong to the next one, and must not count.
        let tokens = prompts.flatMap { $0 } + (0..<32).map { UInt32($0 &* 40503 % 65536) }
        var classes = [UInt16](repeating: 0, count: 16)
        tokens.withUnsafeBufferPointer { tokens in
            if let answers {
                answers.withUnsafeBufferPointer { rb_group_classes16(tokens.baseAddress!, Int32(k), $0.baseAddress!, &classes) }
            } else {
                rb_group_classes16(tokens.baseAddress!, Int32(k), nil, &classes)
            }
        }
        return classes.map(Int.init)
    }

    public static func aliasSymbols(_ table: AliasTable, stream: StreamKey, skip: Int, sizes: [Int]) -> [UInt32] {
        var source = WordSource(KernelPhiloxStream(stream))
        for _ in 0..<skip { _ = source.next() }
        var symbols = [UInt32](repeating: 0, count: sizes.reduce(0, +))
        symbols.withUnsafeMutableBufferPointer { symbols in
            var done = 0
            for size in sizes {
                table.fillSymbols(symbols.baseAddress! + done, count: size, from: &source)
                done += size
            }
        }
        return symbols
    }

    public static func depositBitsByLanes(_ bits: UInt64, shifts: SIMD4<UInt64>, masks: SIMD4<UInt64>) -> SIMD4<UInt64> {
        rb_deposit_bits_by_lanes(bits, shifts, masks)
    }

    public static func bernoulliChunks(probability: Double, stream: StreamKey, live: [SIMD4<UInt64>], count: Int,
                                       deposit: BitDeposit) -> [SIMD4<UInt64>] {
        let sampler = BernoulliWords(probability: probability)
        var source = WordSource(KernelPhiloxStream(stream))
        return (0..<count).map { sampler.words4(&source, live: live[$0 % live.count], deposit: deposit) }
    }

    // MARK: single

    public static func singlePointwiseUniformPrior(policy: AnySymbolSampler, vocabularySize: UInt64, noise: Double)
        -> any BlockKernel<ClassCounts>
    {
        if case .uniform = policy, let packing = PackedFields(vocabularySize: vocabularySize) {
            return SpecializedKernel(SinglePackedKernel(packing: packing, noise: noise))
        }
        switch policy {
        case .uniform(let p): return SpecializedKernel(SinglePointwiseUniformPriorKernel(policy: p, vocabularySize: vocabularySize, noise: noise))
        case .alias(let p): return SpecializedKernel(SinglePointwiseUniformPriorKernel(policy: p, vocabularySize: vocabularySize, noise: noise))
        }
    }

    public static func singlePointwise(policy: AnySymbolSampler, prior: AliasTable, noise: Double, table: [Double],
                                       center: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments> {
        switch policy {
        case .uniform(let p):
            return SpecializedKernel(SinglePointwiseKernel(policy: p, prior: prior, noise: noise, table: table, center: center, binWidth: binWidth))
        case .alias(let p):
            return SpecializedKernel(SinglePointwiseKernel(policy: p, prior: prior, noise: noise, table: table, center: center, binWidth: binWidth))
        }
    }

    public static func singleRB(policy: AnySymbolSampler, table: [Double], constant: Bool, center: Double,
                                rareThreshold: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments> {
        switch policy {
        case .uniform(let p): return SpecializedKernel(SingleRBKernel(policy: p, table: table, constant: constant, center: center, rareThreshold: rareThreshold, binWidth: binWidth))
        case .alias(let p): return SpecializedKernel(SingleRBKernel(policy: p, table: table, constant: constant, center: center, rareThreshold: rareThreshold, binWidth: binWidth))
        }
    }

    public static func singlePlugin(policy: AnySymbolSampler, prior: AnySymbolSampler, vocabularySize: UInt64,
                                    noise: Double) -> any BlockKernel<PluginStatistics> {
        switch (policy, prior) {
        case (.uniform(let p), .uniform(let q)):
            return SpecializedKernel(SinglePluginKernel(policy: p, prior: q, vocabularySize: vocabularySize, noise: noise))
        case (.uniform(let p), .alias(let q)):
            return SpecializedKernel(SinglePluginKernel(policy: p, prior: q, vocabularySize: vocabularySize, noise: noise))
        case (.alias(let p), .uniform(let q)):
            return SpecializedKernel(SinglePluginKernel(policy: p, prior: q, vocabularySize: vocabularySize, noise: noise))
        case (.alias(let p), .alias(let q)):
            return SpecializedKernel(SinglePluginKernel(policy: p, prior: q, vocabularySize: vocabularySize, noise: noise))
        }
    }

    // MARK: group

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

    // MARK: token

    public static func tokenPerToken(length: Int, targetBias: Double, noise: Double, valueOffset: Double,
                                     valueCoefficients: [Double], binWidth: Double?) -> any BlockKernel<TokenStatistics> {
        SpecializedKernel(TokenKernel(length: length, targetBias: targetBias, noise: noise, valueOffset: valueOffset,
                    valueCoefficients: valueCoefficients, binWidth: binWidth))
    }

    public static func tokenAggregate(tables: TokenAggregateTables, center: Double, binWidth: Double?)
        -> any BlockKernel<TokenStatistics>
    {
        SpecializedKernel(TokenAggregateKernel(tables: tables, center: center, binWidth: binWidth))
    }

    public static func tokenPlugin(length: Int, targetBias: Double, noise: Double, reward: TokenReward,
                                   rewardAlphabet: Int, levelOfSum: [Int]) -> any BlockKernel<PluginStatistics> {
        SpecializedKernel(TokenPluginKernel(length: length, targetBias: targetBias, noise: noise, reward: reward,
                          rewardAlphabet: rewardAlphabet, levelOfSum: levelOfSum))
    }

    // MARK: sft

    public static func sftExpert(prior: AnySymbolSampler, vocabularySize: UInt64, goodSetSize: UInt64, surprise: [Double],
                                 offset: Double, center: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments> {
        switch prior {
        case .uniform(let q):
            return SpecializedKernel(SFTExpertKernel(prior: q, vocabularySize: vocabularySize, goodSetSize: goodSetSize, surprise: surprise,
                                   offset: offset, center: center, binWidth: binWidth))
        case .alias(let q):
            return SpecializedKernel(SFTExpertKernel(prior: q, vocabularySize: vocabularySize, goodSetSize: goodSetSize, surprise: surprise,
                                   offset: offset, center: center, binWidth: binWidth))
        }
    }

    public static func sftFiltered(prior: AnySymbolSampler, policy: AnySymbolSampler, surprise: [Double], constant: Double,
                                   binWidth: Double?) -> any BlockKernel<RatioMoments> {
        if case .uniform(let q) = prior, case .uniform(let p) = policy, q == p, surprise.isEmpty,
           let packing = PackedFields(vocabularySize: p.vocabularySize) {
            return SpecializedKernel(SFTPackedKernel(packing: packing, information: constant, binWidth: binWidth))
        }
        switch (prior, policy) {
        case (.uniform(let q), .uniform(let p)):
            return SpecializedKernel(SFTFilteredKernel(prior: q, policy: p, surprise: surprise, constant: constant, binWidth: binWidth))
        case (.uniform(let q), .alias(let p)):
            return SpecializedKernel(SFTFilteredKernel(prior: q, policy: p, surprise: surprise, constant: constant, binWidth: binWidth))
        case (.alias(let q), .uniform(let p)):
            return SpecializedKernel(SFTFilteredKernel(prior: q, policy: p, surprise: surprise, constant: constant, binWidth: binWidth))
        case (.alias(let q), .alias(let p)):
            return SpecializedKernel(SFTFilteredKernel(prior: q, policy: p, surprise: surprise, constant: constant, binWidth: binWidth))
        }
    }
}
