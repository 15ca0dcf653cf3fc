import Foundation
import RewardBitsCore
import CBitOps

/// Number of tokens a group kernel draws per batch (whole prompts).
private func groupBatchPrompts(_ k: Int) -> Int { max(1, 4096 / k) }

#if REWARDBITS_AVX512
/// Whether the kernels for other priors and policies find a group's first
/// occurrences in registers (`GroupPackedKernel.freshLanes`) instead of by a
/// stamp-table or hash-set insert per token: for K <= 64 where conflict
/// detection is fast. The same tokens count, summed in the same order.
private func firstOccurrencesInRegisters(_ k: Int) -> Bool {
    k <= GroupPackedKernel.VectorLanes.maximumGroupSize && GroupPackedKernel.distinctCounting == .conflictDetection
}
#endif

/// Room for `count` tokens and 64 more, zeroed: the register path loads 32
/// or 64 tokens from the start of every group, whatever K (the lanes past K
/// are masked off).
private func paddedTokens(_ count: Int) -> UnsafeMutablePointer<UInt32> {
    let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: count + 64)
    tokens.initialize(repeating: 0, count: count + 64)
    return tokens
}

/// A batch's per-prompt sums (Q, sum_d phi(q_d)) waiting for their psi(Q),
/// which is then taken eight prompts at a time (`Information.psi` on SIMD8)
/// and added to the moments in prompt order.
private struct PendingValues {
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
private func sumEntries(_ entries: UnsafeMutablePointer<UInt32>, groupSize k: Int, prompts: Int,
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
                                for i in 0..<batch * k { rb_prefetch(base + Int(tokens[i])) }
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
                                        let selected = rb_select_lanes(UInt16(truncatingIfNeeded: fresh &>> (chunk &* 16)),
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

/// Uniform prior and policy over V = 2^b with b <= 16: tokens come packed
/// from 16-word vectors (see `PackedFields`), and distinct tokens are found
/// with a stamp per symbol: the number of the prompt that last saw it. A
/// token is new when its stamp is not the current prompt's; nothing is
/// cleared between prompts (the stamps wrap every 2^16 - 1 prompts). This
/// avoids a per-prompt popcount over a bitmap, whose wide loads cannot be
/// forwarded from the scalar stores just made. The AVX-512 copy counts groups
/// in registers instead (conflict detection on AMD for K <= 64, a sorting
/// network on Intel for K <= 32, see `DistinctCounting`), and the AVX2 copy
/// sorts 16 prompts of K <= 32 at once, one per 16-bit lane (`PromptSets`,
/// `rb_group_classes16`): the same counts from the same tokens, faster (on
/// a Zen 2, 1.6-1.7e9 rollouts/s for rb and 1.2e9 pointwise against the
/// stamps' 8.6-8.9e8 at K = 32, and faster at every K from 1 to 32).
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
        #else
        let sortsByLanes = false
        #endif
        let batchPrompts = unit * k <= 1 << 16 ? max(unit, 1024 / k / unit * unit) : max(1, 1024 / k)
        let capacity = (batchPrompts * k + perVector - 1) / perVector * perVector
        // 64 lanes of padding: the vector path loads 32 or 64 tokens from the
        // start of every group, whatever K.
        let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity + 64)
        tokens.initialize(repeating: 0, count: capacity + 64)
        let answers = UnsafeMutablePointer<UInt32>.allocate(capacity: batchPrompts + perVector)
        #if REWARDBITS_AVX512
        // The sorting network takes K <= 32; conflict detection K <= 64.
        let sorting = Self.distinctCounting == .sortingNetwork
        let inRegisters = sorting ? k <= 32 : k <= VectorLanes.maximumGroupSize && Self.distinctCounting != .stamps
        #else
        let inRegisters = false
        #endif
        var sets = sortsByLanes ? PromptSets(groupSize: k) : nil
        // The stamps only where they are used (up to 128 KiB at V = 2^16).
        let stampCount = inRegisters || sets != nil ? 0 : vocabularySize
        let stamps = UnsafeMutablePointer<UInt16>.allocate(capacity: stampCount)
        stamps.initialize(repeating: 0, count: stampCount)
        var stamp: UInt16 = 0
        var counts = [UInt64](repeating: 0, count: (k + 1) * (pointwise ? 2 : 1))
        counts.withUnsafeMutableBufferPointer { counts in
            var done = 0
            while done < samples {
                let batch = min(batchPrompts, samples - done)
                packing.fill(tokens, count: batch * k, from: &source)
                if pointwise { packing.fill(answers, count: batch, from: &source) }
                #if REWARDBITS_AVX512
                if inRegisters {
                    // K = 32 (the canonical size) and K = 64 with their lane
                    // masks folded in.
                    let answers = pointwise ? answers : nil
                    switch (k, sorting) {
                    case (32, true): Self.countVectorPrompts(tokens, batch: batch, groupSize: 32, sorting: true, answers: answers, into: counts)
                    case (32, false): Self.countVectorPrompts(tokens, batch: batch, groupSize: 32, sorting: false, answers: answers, into: counts)
                    case (64, false): Self.countVectorPrompts(tokens, batch: batch, groupSize: 64, sorting: false, answers: answers, into: counts)
                    case (_, true): Self.countVectorPrompts(tokens, batch: batch, groupSize: k, sorting: true, answers: answers, into: counts)
                    case (_, false): Self.countVectorPrompts(tokens, batch: batch, groupSize: k, sorting: false, answers: answers, into: counts)
                    }
                    done += batch
                    continue
                }
                #endif
                if sets != nil {
                    sets!.add(tokens, answers: pointwise ? answers : nil, prompts: batch, into: counts)
                    done += batch
                    continue
                }
                for prompt in 0..<batch {
                    if stamp == UInt16.max {
                        stamps.update(repeating: 0, count: vocabularySize)
                        stamp = 0
                    }
                    stamp &+= 1
                    let group = tokens + prompt &* k
                    var m = 0
                    for i in 0..<k {
                        let t = Int(group[i])
                        m &+= stamps[t] != stamp ? 1 : 0
                        stamps[t] = stamp
                    }
                    if pointwise {
                        counts[2 &* m &+ (stamps[Int(answers[prompt])] == stamp ? 1 : 0)] &+= 1
                    } else {
                        counts[m] &+= 1
                    }
                }
                done += batch
            }
            sets?.finish(into: counts)
        }
        sets?.release()
        tokens.deallocate()
        answers.deallocate()
        stamps.deallocate()
        var statistics = GroupStatistics()
        statistics.classes.counts = counts
        return BlockResult(statistics: statistics, rollouts: UInt64(samples) * UInt64(k))
    }

    /// Which lanes of four 16-lane vectors loaded at a group's first token
    /// hold the group's K <= 64 tokens (the rest belong to the next prompt
    /// or to padding): `first` tokens 0-15, `second` 16-31, `third` 32-47,
    /// `fourth` 48-63.
    struct VectorLanes {
        let first: UInt16
        let second: UInt16
        let third: UInt16
        let fourth: UInt16

        /// The largest K counted in registers (by conflict detection; the
        /// sorting network takes K <= 32).
        static let maximumGroupSize = 64

        init(groupSize k: Int) {
            func lanes(_ chunk: Int) -> UInt16 {
                let n = min(max(k - 16 * chunk, 0), 16)
                return n == 16 ? 0xFFFF : UInt16((1 << n) - 1)
            }
            first = lanes(0)
            second = lanes(1)
            third = lanes(2)
            fourth = lanes(3)
        }
    }

    #if REWARDBITS_AVX512
    /// How the AVX-512 copy counts a group's distinct tokens.
    enum DistinctCounting {
        /// The portable stamps (any K).
        case stamps
        /// AVX-512 conflict detection (K <= 64): six `vpconflictd` per
        /// prompt for K <= 32, 28 for K <= 64 (quadratic in K, so larger
        /// groups keep the stamps). About twice the stamps' speed on a Zen 5
        /// at K = 32, 1.75x on a Zen 4 at K = 64; on Intel Xeons
        /// `vpconflictd` is microcoded and slow (2.5e8 rollouts/s against the
        /// stamps' 3.4e8 on a Skylake-SP, 5.3e8 against 1.0e9 on an Emerald
        /// Rapids).
        case conflictDetection
        /// A bitonic sorting network over 16-bit lanes (K <= 32, V <= 2^16),
        /// two prompts at a time (`rb_distinct_tokens_pair`; a last odd one
        /// alone, `rb_distinct_tokens`): min, max and permutes, all
        /// single-uop instructions on Intel cores. 1.7-2.0e9 rollouts/s
        /// against the stamps' 0.8-1.0e9 on an Emerald Rapids.
        case sortingNetwork
    }

    /// Conflict detection on AMD (the CPUs with AVX-512 there are Zen 4 and
    /// 5; on a Zen 4 it ran 1.7x the sorting network and 2.5x the stamps),
    /// the sorting network elsewhere (measured on an Emerald Rapids). All
    /// three give the same counts. The kernels for other priors and policies
    /// use conflict detection where this says so, and their stamps or hash
    /// set otherwise (the sorting network gives counts, not which lanes are
    /// first occurrences). REWARDBITS_GROUP_DISTINCT=conflict|sort|stamps
    /// overrides the choice (to measure any of them here).
    static let distinctCounting: DistinctCounting = {
        switch ProcessInfo.processInfo.environment["REWARDBITS_GROUP_DISTINCT"] {
        case "conflict": return .conflictDetection
        case "sort": return .sortingNetwork
        case "stamps": return .stamps
        default:
            return CPUInfo.field("vendor_id") == "AuthenticAMD" ? .conflictDetection : .sortingNetwork
        }
    }()

    /// Counts the classes of `batch` prompts of K <= 64 tokens (K <= 32 if
    /// `sorting`; rb: M;
    /// pointwise, given the answers: M and whether the answer was drawn),
    /// M by the sorting network if `sorting`, else by conflict detection.
    @inline(__always)
    static func countVectorPrompts(_ tokens: UnsafePointer<UInt32>, batch: Int, groupSize k: Int, sorting: Bool,
                                   answers: UnsafePointer<UInt32>?, into counts: UnsafeMutableBufferPointer<UInt64>) {
        let lanes = VectorLanes(groupSize: k)
        @inline(__always) func count(_ prompt: Int, _ m: Int) {
            if let answers {
                counts[2 &* m &+ (contains(tokens + prompt &* k, lanes, answers[prompt]) ? 1 : 0)] &+= 1
            } else {
                counts[m] &+= 1
            }
        }
        var prompt = 0
        if sorting {
            // Two prompts per network (half the latency per prompt).
            while prompt &+ 1 < batch {
                let group = tokens + prompt &* k
                let pair = rb_distinct_tokens_pair(group, group + k, lanes.first, lanes.second)
                count(prompt, Int(pair & 0xFF))
                count(prompt &+ 1, Int(pair >> 8))
                prompt &+= 2
            }
        }
        while prompt < batch {
            let group = tokens + prompt &* k
            count(prompt, sorting ? Int(rb_distinct_tokens(group, lanes.first, lanes.second)) : distinct(group, lanes))
            prompt &+= 1
        }
    }

    /// The number of distinct tokens in a group of K <= 64, in registers:
    /// AVX-512 conflict detection finds the lanes that repeat an earlier lane
    /// within each 16-lane vector, and, within four mixed vectors (a quarter
    /// of the earlier vector below a quarter of the later), the later
    /// vector's lanes that repeat an earlier vector's lane: 6 conflict
    /// instructions for K <= 32, 15 for K <= 48, 28 for K <= 64. Same count
    /// as the stamps, without a store per token.
    @inline(__always)
    static func distinct(_ group: UnsafePointer<UInt32>, _ lanes: VectorLanes) -> Int {
        freshLanes(group, lanes).nonzeroBitCount
    }

    /// The later vector's lanes that repeat one of the earlier vector's
    /// `earlierLanes` (bit i: lane i of `later`).
    @inline(__always)
    static func repeatsOfEarlier(_ earlier: SIMD16<UInt32>, _ earlierLanes: UInt16, in later: SIMD16<UInt32>) -> UInt16 {
        let low = earlierLanes & 0x00FF, high = earlierLanes &>> 8
        let lowOfLater = rb_lanes_repeating(SIMD16(lowHalf: earlier.lowHalf, highHalf: later.lowHalf), low)
            | rb_lanes_repeating(SIMD16(lowHalf: earlier.highHalf, highHalf: later.lowHalf), high)
        let highOfLater = rb_lanes_repeating(SIMD16(lowHalf: earlier.lowHalf, highHalf: later.highHalf), low)
            | rb_lanes_repeating(SIMD16(lowHalf: earlier.highHalf, highHalf: later.highHalf), high)
        return (lowOfLater &>> 8) | (highOfLater & 0xFF00)
    }

    /// The lanes holding a token's first occurrence in a group of K <= 64
    /// (bit i: token i), found as in `distinct`.
    @inline(__always)
    static func freshLanes(_ group: UnsafePointer<UInt32>, _ lanes: VectorLanes) -> UInt64 {
        let raw = UnsafeRawPointer(group)
        let a = raw.loadUnaligned(as: SIMD16<UInt32>.self)
        let freshA = lanes.first & ~rb_lanes_repeating(a, lanes.first)
        // K <= 16: one conflict detection, not the six of two vectors.
        if lanes.second == 0 { return UInt64(freshA) }
        let b = raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt32>.self)
        let freshB = lanes.second & ~(rb_lanes_repeating(b, lanes.second) | repeatsOfEarlier(a, lanes.first, in: b))
        var fresh = UInt64(freshA) | UInt64(freshB) &<< 16
        if lanes.third != 0 {
            let c = raw.loadUnaligned(fromByteOffset: 128, as: SIMD16<UInt32>.self)
            let freshC = lanes.third & ~(rb_lanes_repeating(c, lanes.third) | repeatsOfEarlier(a, lanes.first, in: c)
                                         | repeatsOfEarlier(b, lanes.second, in: c))
            fresh |= UInt64(freshC) &<< 32
            if lanes.fourth != 0 {
                let d = raw.loadUnaligned(fromByteOffset: 192, as: SIMD16<UInt32>.self)
                let freshD = lanes.fourth & ~(rb_lanes_repeating(d, lanes.fourth) | repeatsOfEarlier(a, lanes.first, in: d)
                                              | repeatsOfEarlier(b, lanes.second, in: d) | repeatsOfEarlier(c, lanes.third, in: d))
                fresh |= UInt64(freshD) &<< 48
            }
        }
        return fresh
    }

    /// Whether `token` is one of the group's (K <= 64).
    @inline(__always)
    static func contains(_ group: UnsafePointer<UInt32>, _ lanes: VectorLanes, _ token: UInt32) -> Bool {
        let raw = UnsafeRawPointer(group)
        let t = SIMD16<UInt32>(repeating: token)
        var hits = rb_lanes_equal(raw.loadUnaligned(as: SIMD16<UInt32>.self), t) & lanes.first
        // K <= 16: one vector.
        if lanes.second == 0 { return hits != 0 }
        hits |= rb_lanes_equal(raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt32>.self), t) & lanes.second
        if lanes.third != 0 {
            hits |= rb_lanes_equal(raw.loadUnaligned(fromByteOffset: 128, as: SIMD16<UInt32>.self), t) & lanes.third
                | rb_lanes_equal(raw.loadUnaligned(fromByteOffset: 192, as: SIMD16<UInt32>.self), t) & lanes.fourth
        }
        return hits != 0
    }
    #endif
}
