import Foundation
import RewardBitsCore
import CBitOps

/// Pointwise kernel under a uniform prior: the value depends only on whether
/// the rollout hit S and whether its reward was flipped, so a block reduces
/// to four exact counts.
struct SinglePointwiseUniformPriorKernel<Policy: KernelSymbolSampler>: SourceKernel {
    typealias Statistics = ClassCounts
    let policy: Policy
    let answers: UniformSymbols
    let flips: BernoulliWords?

    init(policy: Policy, vocabularySize: UInt64, noise: Double) {
        self.policy = policy
        answers = UniformSymbols(vocabularySize: vocabularySize)
        flips = noise > 0 ? BernoulliWords(probability: noise) : nil
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<ClassCounts> {
        var counts = ClassCounts(classes: 4)
        var hitKept: UInt64 = 0, missKept: UInt64 = 0, hitFlipped: UInt64 = 0, missFlipped: UInt64 = 0
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 128) { buffer in
            let rollouts = buffer.baseAddress!
            let answersBuffer = rollouts + 64
            var done = 0
            while done < samples {
                let batch = min(64, samples - done)
                policy.fillSymbols(rollouts, count: batch, from: &source)
                answers.fillSymbols(answersBuffer, count: batch, from: &source)
                var hits: UInt64 = 0
                for j in 0..<batch where rollouts[j] == answersBuffer[j] {
                    hits |= 1 << UInt64(j)
                }
                let valid = batch == 64 ? UInt64.max : (UInt64(1) << UInt64(batch)) - 1
                let flipped = (flips?.word(&source) ?? 0) & valid
                hitKept += UInt64((hits & ~flipped).nonzeroBitCount)
                hitFlipped += UInt64((hits & flipped).nonzeroBitCount)
                missFlipped += UInt64((~hits & flipped).nonzeroBitCount)
                missKept += UInt64((~hits & ~flipped & valid).nonzeroBitCount)
                done += batch
            }
        }
        counts.counts = [missKept, hitKept, missFlipped, hitFlipped]
        return BlockResult(statistics: counts, rollouts: UInt64(samples))
    }
}

/// Pointwise kernel for any prior: S and T are drawn, the class (hit, flip)
/// found, and the value looked up in a per-symbol table. Hits are the rare
/// events of the interval rule, so their values are summed apart.
struct SinglePointwiseKernel<Policy: KernelSymbolSampler, Prior: KernelSymbolSampler>: SourceKernel {
    typealias Statistics = StratifiedMoments
    let policy: Policy
    let prior: Prior
    let flips: BernoulliWords?
    /// table[4 t + class], class = hit + 2 flip.
    let table: [Double]
    let center: Double
    let binWidth: Double?

    init(policy: Policy, prior: Prior, noise: Double, table: [Double], center: Double, binWidth: Double?) {
        self.policy = policy
        self.prior = prior
        flips = noise > 0 ? BernoulliWords(probability: noise) : nil
        self.table = table
        self.center = center
        self.binWidth = binWidth
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<StratifiedMoments> {
        var moments = StratifiedMoments(center: center, binWidth: binWidth)
        let occurrences = ValueOccurrences(values: table.count)
        // Past the counted sizes every rollout loads its value, and beyond
        // 1 MiB of values (V > 32768; a Zen 4's L2) most loads miss:
        // prefetched for the whole batch first, the misses overlap instead of
        // queueing behind the moments' chain of adds (1.2-1.5x at V = 40000
        // to 10^6; neutral at V = 20000, so not below).
        let prefetchValues = !occurrences.counted && table.count > prefetchedTableSize
        table.withUnsafeBufferPointer { table in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 128) { buffer in
                let rollouts = buffer.baseAddress!
                let answers = rollouts + 64
                var done = 0
                while done < samples {
                    let batch = min(64, samples - done)
                    policy.fillSymbols(rollouts, count: batch, from: &source)
                    prior.fillSymbols(answers, count: batch, from: &source)
                    if prefetchValues, let base = table.baseAddress {
                        // A token's four values share one 32-byte run.
                        for j in 0..<batch { bitops_prefetch(base + 4 * Int(rollouts[j])) }
                    }
                    let flipped = flips?.word(&source) ?? 0
                    for j in 0..<batch {
                        let t = Int(rollouts[j])
                        let hit = rollouts[j] == answers[j] ? 1 : 0
                        let flip = Int((flipped >> UInt64(j)) & 1)
                        occurrences.record(4 * t + hit + 2 * flip, of: table, into: &moments, rare: hit == 1)
                    }
                    done += batch
                }
            }
        }
        occurrences.add(table, to: &moments) { $0 & 1 == 1 }
        return BlockResult(statistics: moments, rollouts: UInt64(samples))
    }
}

/// Rao-Blackwellised kernel: the value h(q(T) (*) eps) - h(eps) of each
/// rollout T, from a per-symbol table (one entry when it is constant).
/// Values at or above `rareThreshold` are the rare events.
struct SingleRBKernel<Policy: KernelSymbolSampler>: SourceKernel {
    typealias Statistics = StratifiedMoments
    let policy: Policy
    let table: [Double]
    let constant: Bool
    let center: Double
    let rareThreshold: Double
    let binWidth: Double?

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<StratifiedMoments> {
        var moments = StratifiedMoments(center: center, binWidth: binWidth)
        let occurrences = ValueOccurrences(values: table.count)
        // As in the pointwise kernel: beyond 1 MiB of values, prefetched per
        // batch.
        let prefetchValues = !constant && !occurrences.counted && table.count > prefetchedTableSize
        table.withUnsafeBufferPointer { table in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { buffer in
                let rollouts = buffer.baseAddress!
                var done = 0
                while done < samples {
                    let batch = min(64, samples - done)
                    policy.fillSymbols(rollouts, count: batch, from: &source)
                    if prefetchValues, let base = table.baseAddress {
                        for j in 0..<batch { bitops_prefetch(base + Int(rollouts[j])) }
                    }
                    for j in 0..<batch {
                        let index = constant ? 0 : Int(rollouts[j])
                        occurrences.record(index, of: table, into: &moments, rare: table[index] >= rareThreshold)
                    }
                    done += batch
                }
            }
        }
        let threshold = rareThreshold
        occurrences.add(table, to: &moments) { table[$0] >= threshold }
        return BlockResult(statistics: moments, rollouts: UInt64(samples))
    }
}

/// Plug-in kernel: each rollout's cell (S, T, r) is recorded; the model is
/// not used at all, as with logged rollouts.
struct SinglePluginKernel<Policy: KernelSymbolSampler, Prior: KernelSymbolSampler>: SourceKernel {
    typealias Statistics = PluginStatistics
    let policy: Policy
    let prior: Prior
    let vocabularySize: Int
    let flips: BernoulliWords?

    init(policy: Policy, prior: Prior, vocabularySize: UInt64, noise: Double) {
        self.policy = policy
        self.prior = prior
        self.vocabularySize = Int(vocabularySize)
        flips = noise > 0 ? BernoulliWords(probability: noise) : nil
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<PluginStatistics> {
        let v = vocabularySize
        var statistics = PluginStatistics(cells: 2 * v * v, observations: 2 * v, block: block, capacity: samples)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 128) { buffer in
            let rollouts = buffer.baseAddress!
            let answers = rollouts + 64
            var done = 0
            while done < samples {
                let batch = min(64, samples - done)
                policy.fillSymbols(rollouts, count: batch, from: &source)
                prior.fillSymbols(answers, count: batch, from: &source)
                let flipped = flips?.word(&source) ?? 0
                for j in 0..<batch {
                    let t = Int(rollouts[j]), s = Int(answers[j])
                    let reward = (t == s ? 1 : 0) ^ Int((flipped >> UInt64(j)) & 1)
                    statistics.blockCells.append(UInt32(s * 2 * v + t * 2 + reward))
                }
                done += batch
            }
        }
        return BlockResult(statistics: statistics, rollouts: UInt64(samples))
    }
}

/// Uniform prior and policy over V = 2^b (b <= 16): per 16-word vectors, T
/// from one vector and S from the next, compared field by field; flips, when
/// there is noise, from exact Bernoulli words, one bit per rollout in order.
/// The four (hit, flip) classes are counted in vector lanes.
struct SinglePackedKernel: SourceKernel {
    typealias Statistics = ClassCounts
    let packing: PackedFields
    let flips: BernoulliWords?

    init(packing: PackedFields, noise: Double) {
        self.packing = packing
        flips = noise > 0 ? BernoulliWords(probability: noise) : nil
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<ClassCounts> {
        let perBatch = packing.perVector
        let flipWordCount = (perBatch + 63) / 64
        var hitKept = SIMD16<UInt32>(), hitFlipped = SIMD16<UInt32>(), missFlipped = SIMD16<UInt32>()
        var totals = (hitKept: UInt64(0), hitFlipped: UInt64(0), missFlipped: UInt64(0))
        // The flip words in a buffer: as a tuple behind `withUnsafeBytes`
        // they were copied on the stack for every batch.
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: 8)
        words.initialize(repeating: 0, count: 8)
        defer { words.deallocate() }
        // Unwrapped once: binding the optional in the loop copied it, a
        // retain and release of its digit arrays per batch (a third of the
        // noisy kernel's time).
        let noisy = flips != nil
        let flips = self.flips ?? BernoulliWords(probability: 0)
        /// The lanes' sum without wrapping.
        func total(_ lanes: SIMD16<UInt32>) -> UInt64 {
            lanes.indices.reduce(UInt64(0)) { $0 + UInt64(lanes[$1]) }
        }
        var done = 0
        var batches = 0
        if !noisy {
            // Whole batches without noise in a loop of their own: the hits
            // stay in registers (in the shared loop they were spilled, a
            // load and a store per field on the chain of adds) and a field
            // is the XOR of the two vectors shifted by a scalar count. The
            // same words and counts; a last short batch takes the loop below.
            let mask = packing.mask, shift = packing.shift
            var hits = SIMD16<UInt32>()
            var fullBatches = 0
            while samples &- done >= perBatch {
                let rollouts = source.nextVector()
                let answers = source.nextVector()
                var rest = rollouts ^ answers
                for _ in 0..<packing.fields {
                    // A true lane reads as all ones: subtracting adds 1.
                    hits &-= Lanes.ones((rest & mask) .== .zero)
                    rest &>>= shift
                }
                done &+= perBatch
                fullBatches &+= 1
                // Lanes gain at most `fields` per batch: flush well before 2^32.
                if fullBatches & 0xFFFFF == 0 {
                    totals.hitKept += total(hits)
                    hits = .zero
                }
            }
            totals.hitKept += total(hits)
        }
        while done < samples {
            let batch = min(perBatch, samples - done)
            let rollouts = source.nextVector()
            let answers = source.nextVector()
            if noisy {
                for w in 0..<flipWordCount { words[w] = flips.word(&source) }
            }
            for j in 0..<packing.fields {
                var hit = packing.field(j, of: rollouts) .== packing.field(j, of: answers)
                var valid = SIMDMask<SIMD16<Int32>>(repeating: true)
                if batch < perBatch {
                    valid = (Lanes.index &+ UInt32(16 * j)) .< UInt32(batch)
                    hit = hit .& valid
                }
                if noisy {
                    let position = 16 * j
                    let pattern = UInt32(truncatingIfNeeded: words[position >> 6] >> UInt64(position & 63)) & 0xFFFF
                    let hits = Lanes.ones(hit)
                    let flipped = Lanes.ones(pattern: pattern) & Lanes.ones(valid)
                    // A true lane reads as all ones: subtracting adds 1.
                    hitKept &-= hits & ~flipped
                    hitFlipped &-= hits & flipped
                    missFlipped &-= ~hits & flipped
                } else {
                    hitKept &-= Lanes.ones(hit)
                }
            }
            done += batch
            batches += 1
            // Lane counters gain at most `fields` per batch: flush well before 2^32.
            if batches & 0xFFFFF == 0 {
                totals.hitKept += total(hitKept)
                totals.hitFlipped += total(hitFlipped)
                totals.missFlipped += total(missFlipped)
                hitKept = .zero
                hitFlipped = .zero
                missFlipped = .zero
            }
        }
        let hk = totals.hitKept + total(hitKept)
        let hf = totals.hitFlipped + total(hitFlipped)
        let mf = totals.missFlipped + total(missFlipped)
        var counts = ClassCounts(classes: 4)
        counts.counts = [UInt64(samples) - hk - hf - mf, hk, mf, hf]
        return BlockResult(statistics: counts, rollouts: UInt64(samples))
    }
}

/// Kernels that load one value per sample from a table of more values than
/// this (1 MiB of doubles, a Zen 4's L2) prefetch a batch's values before
/// adding them: below it the prefetches measured no gain (V = 20000 in
/// `single`) or a loss (small tables in `sft --mode expert`).
let prefetchedTableSize = 1 << 17

/// Per-sample values taken from a table: for a table of at most 2^16 values,
/// how often each occurs in a block, added to the moments once per value at
/// the end (`Moments.add(_:count:)`: exact counts, each sum within about an
/// ulp of adding sample by sample, and an increment per sample instead of
/// two compensated additions); larger tables add sample by sample.
struct ValueOccurrences: ~Copyable {
    static let maximumValues = 1 << 16
    let counted: Bool
    let counts: UnsafeMutablePointer<UInt64>
    let values: Int

    init(values: Int) {
        self.values = values
        counted = values <= Self.maximumValues
        counts = .allocate(capacity: counted ? values : 0)
        counts.initialize(repeating: 0, count: counted ? values : 0)
    }

    @inline(__always)
    func record(_ index: Int, of table: UnsafeBufferPointer<Double>, into moments: inout Moments) {
        if counted { counts[index] &+= 1 } else { moments.add(table[index]) }
    }

    /// The counted values, in table order.
    func add(_ table: [Double], to moments: inout Moments) {
        guard counted else { return }
        for i in 0..<values where counts[i] > 0 { moments.add(table[i], count: counts[i]) }
    }

    @inline(__always)
    func record(_ index: Int, of table: UnsafeBufferPointer<Double>, into moments: inout StratifiedMoments, rare: Bool) {
        if counted { counts[index] &+= 1 } else { moments.add(table[index], rare: rare) }
    }

    /// The counted values, in table order, each in the stratum `rare` says.
    func add(_ table: [Double], to moments: inout StratifiedMoments, rare: (Int) -> Bool) {
        guard counted else { return }
        for i in 0..<values where counts[i] > 0 { moments.add(table[i], count: counts[i], rare: rare(i)) }
    }

    deinit { counts.deallocate() }
}

extension KernelSet: SingleKernelFactory {
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
}
