import Foundation
import RewardBitsCore
import CBitOps

/// Any prior: rb accumulates H(r | T) = sum_{d in D} phi(q_d) + psi(Q) per
/// prompt; pointwise draws S and takes -log2 q(S) on a hit, -log2(1 - Q)
/// otherwise. Counts per M are kept for the log2(M + 1) bound.
struct GroupKernel<Policy: KernelSymbolSampler, Distinct: DistinctSet>: SourceKernel {
    typealias Statistics = GroupStatistics
    let policy: Policy
    let prior: AliasTable
    let priorProbabilities: [Double]
    /// (q(t), phi(q(t))) side by side: one cache line per new token; and
    /// (0, 0) at index V, which a group's repeats add (x + 0 = x: the sums
    /// of the new tokens alone, with no multiply or select of the entry).
    let massAndEntropy: [SIMD2<Double>]
    let surpriseTable: [Double]
    let vocabularySize: UInt64
    let groupSize: Int
    let pointwise: Bool
    let center: Double
    /// rb: values at or above it are the rare events (pointwise: the hits).
    let rareThreshold: Double
    let binWidth: Double?

    init(policy: Policy, prior: AliasTable, priorProbabilities: [Double], vocabularySize: UInt64,
         groupSize: Int, pointwise: Bool, center: Double, rareThreshold: Double, binWidth: Double?) {
        self.binWidth = binWidth
        self.rareThreshold = rareThreshold
        self.policy = policy
        self.prior = prior
        self.priorProbabilities = priorProbabilities
        // V <= 2^24 for an explicit table, so index V fits a token's UInt32.
        massAndEntropy = priorProbabilities.map { SIMD2($0, Information.phi($0)) } + [SIMD2(0, 0)]
        surpriseTable = pointwise ? priorProbabilities.map { $0 > 0 ? -log2($0) : 0 } : []
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.pointwise = pointwise
        self.center = center
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<GroupStatistics> {
        let k = groupSize
        let batchPrompts = groupBatchPrompts(k)
        // Beyond 64 KiB the table no longer sits in L1, and a Zipf tail's
        // entries miss further out.
        let prefetchTable = massAndEntropy.count > 4096
        let repeatIndex = priorProbabilities.count
        var statistics = GroupStatistics()
        var moments = StratifiedMoments(center: center, binWidth: binWidth)
        var counts = [UInt64](repeating: 0, count: k + 1)
        var distinct = Distinct(vocabularySize: vocabularySize, groupSize: k)
        #if REWARDBITS_AVX512
        let inRegisters = firstOccurrencesInRegisters(k)
        let lanes = GroupPackedKernel.VectorLanes(groupSize: min(k, GroupPackedKernel.VectorLanes.maximumGroupSize))
        let repeatEntry = SIMD16<UInt32>(repeating: UInt32(repeatIndex))
        #endif
        let tokens = paddedTokens(batchPrompts * k)
        // Register path: per token the entry it adds, itself if new in its
        // group or V (the (0, 0) entry) if a repeat, written in a first pass
        // so that the sums can run several prompts side by side (no room
        // where the sums run one token at a time).
        #if REWARDBITS_AVX512
        let entries = paddedTokens(inRegisters ? batchPrompts * k : 0)
        #else
        let entries = paddedTokens(0)
        #endif
        let pending = PendingValues(capacity: batchPrompts)
        // Pointwise: per prompt -log2 q(S) when the group drew S, or -1 when
        // it missed (the value then comes from the group's mass).
        let hitSurprises = UnsafeMutablePointer<Double>.allocate(capacity: batchPrompts)
        counts.withUnsafeMutableBufferPointer { counts in
            massAndEntropy.withUnsafeBufferPointer { table in
                do {
                    surpriseTable.withUnsafeBufferPointer { surprise in
                        var done = 0
                        while done < samples {
                            let batch = min(batchPrompts, samples - done)
                            policy.fillSymbols(tokens, count: batch * k, from: &source)
                            // One pass of prefetches over the batch first, so
                            // the misses on a large table overlap instead of
                            // stalling the summing pass one by one.
                            if prefetchTable, let base = table.baseAddress {
                                for i in 0..<batch * k { bitops_prefetch(base + Int(tokens[i])) }
                            }
                            for prompt in 0..<batch {
                                let group = tokens + prompt * k
                                var m = 0
                                #if REWARDBITS_AVX512
                                if inRegisters {
                                    let groupEntries = entries + prompt * k
                                    let fresh = GroupPackedKernel.freshLanes(group, lanes)
                                    // Whole vectors: the lanes past K land in
                                    // the next prompt's room (written after
                                    // this one) or in the padding.
                                    let raw = UnsafeRawPointer(group)
                                    let out = UnsafeMutableRawPointer(groupEntries)
                                    var chunk = 0
                                    while chunk &* 16 < k {
                                        let selected = bitops_select_lanes(UInt16(truncatingIfNeeded: fresh &>> (chunk &* 16)),
                                                                       raw.loadUnaligned(fromByteOffset: chunk &* 64, as: SIMD16<UInt32>.self),
                                                                       repeatEntry)
                                        out.storeBytes(of: selected, toByteOffset: chunk &* 64, as: SIMD16<UInt32>.self)
                                        chunk &+= 1
                                    }
                                    m = fresh.nonzeroBitCount
                                    if pointwise {
                                        let answer = prior.draw(&source)
                                        hitSurprises[prompt] = GroupPackedKernel.contains(group, lanes, answer) ? surprise[Int(answer)] : -1
                                    }
                                    counts[m] += 1
                                    continue
                                }
                                #endif
                                // One pass here: the stamp inserts are slow
                                // enough to hide the chain of adds, and a
                                // second pass over the entries measured
                                // 5-12% slower for K = 80 and 100.
                                var sums = SIMD2<Double>()
                                for i in 0..<k {
                                    let t = group[i]
                                    // Branch-free: with a concentrated policy
                                    // repeats are common and unpredictable.
                                    // A repeat adds the (0, 0) entry.
                                    let fresh = distinct.insert(t)
                                    m &+= fresh ? 1 : 0
                                    sums += table[fresh ? Int(t) : repeatIndex]
                                }
                                pending.masses[prompt] = sums[0]
                                pending.entropies[prompt] = sums[1]
                                if pointwise {
                                    let answer = prior.draw(&source)
                                    hitSurprises[prompt] = distinct.contains(answer) ? surprise[Int(answer)] : -1
                                }
                                counts[m] += 1
                                distinct.reset(group, count: k)
                            }
                            #if REWARDBITS_AVX512
                            if inRegisters { sumEntries(entries, groupSize: k, prompts: batch, table: table, into: pending) }
                            #endif
                            if pointwise {
                                for prompt in 0..<batch {
                                    let hit = hitSurprises[prompt]
                                    // The rare events are the hits.
                                    moments.add(hit >= 0 ? hit : Information.minusLog2OneMinus(min(pending.masses[prompt], 1.0.nextDown)),
                                                rare: hit >= 0)
                                }
                            } else {
                                pending.add(batch, to: &moments, rareThreshold: rareThreshold)
                            }
                            done += batch
                        }
                    }
                }
            }
        }
        tokens.deallocate()
        entries.deallocate()
        hitSurprises.deallocate()
        pending.release()
        distinct.release()
        statistics.classes.counts = counts
        statistics.values = moments
        return BlockResult(statistics: statistics, rollouts: UInt64(samples) * UInt64(k))
    }
}
