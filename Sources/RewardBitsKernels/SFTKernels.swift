import Foundation
import RewardBitsCore
import CBitOps

/// Expert positives: S ~ q, tau = S + U mod V with U uniform below alpha V;
/// the value is -log2(alpha V) - log2 P(tau) (constant for a uniform prior).
struct SFTExpertKernel<Prior: KernelSymbolSampler>: SourceKernel {
    typealias Statistics = StratifiedMoments
    let prior: Prior
    let vocabularySize: UInt64
    let goodSetSize: UInt64
    let surprise: [Double]
    let offset: Double
    let center: Double
    let binWidth: Double?

    init(prior: Prior, vocabularySize: UInt64, goodSetSize: UInt64, surprise: [Double], offset: Double, center: Double,
         binWidth: Double?) {
        self.binWidth = binWidth
        self.prior = prior
        self.vocabularySize = vocabularySize
        self.goodSetSize = goodSetSize
        self.surprise = surprise
        self.offset = offset
        self.center = center
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<StratifiedMoments> {
        var moments = StratifiedMoments(center: center, binWidth: binWidth)
        let within = goodSetSize >= 2 ? UniformSymbols(vocabularySize: goodSetSize) : nil
        let uniformValue = offset + log2(Double(vocabularySize))
        surprise.withUnsafeBufferPointer { surprise in
            guard surprise.count > prefetchedTableSize, let base = surprise.baseAddress else {
                for _ in 0..<samples {
                    let answer = UInt64(prior.draw(&source))
                    let shift = UInt64(within?.draw(&source) ?? 0)
                    let positive = (answer + shift) % vocabularySize
                    moments.add(surprise.isEmpty ? uniformValue : offset + surprise[Int(positive)], rare: false)
                }
                return
            }
            // Beyond 1 MiB of surprise values: 64 positives drawn first (the
            // same draws in the same order) with their values prefetched,
            // then added, so that the misses on the alias and surprise tables
            // overlap instead of each waiting behind the moments' chain of
            // adds (1.5-1.9x at V = 10^6; with small tables the split was
            // 0.6-1.1x, so they keep the one loop).
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 64) { positives in
                let positives = positives.baseAddress!
                var done = 0
                while done < samples {
                    let batch = min(64, samples - done)
                    for i in 0..<batch {
                        let answer = UInt64(prior.draw(&source))
                        let shift = UInt64(within?.draw(&source) ?? 0)
                        let positive = Int((answer + shift) % vocabularySize)
                        positives[i] = positive
                        bitops_prefetch(base + positive)
                    }
                    for i in 0..<batch { moments.add(offset + surprise[positives[i]], rare: false) }
                    done += batch
                }
            }
        }
        return BlockResult(statistics: moments, rollouts: 0)
    }
}

/// Filtered positives: S ~ q, then rollouts T ~ pi until T == S.
struct SFTFilteredKernel<Prior: KernelSymbolSampler, Policy: KernelSymbolSampler>: SourceKernel {
    typealias Statistics = RatioMoments
    let prior: Prior
    let policy: Policy
    let surprise: [Double]
    let constant: Double
    let binWidth: Double?

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<RatioMoments> {
        var statistics = RatioMoments(binWidth: binWidth)
        let batch = 256
        let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: batch)
        var available = 0
        var next = 0
        surprise.withUnsafeBufferPointer { surprise in
            for _ in 0..<samples {
                let answer = prior.draw(&source)
                var drawn: UInt64 = 0
                search: while true {
                    if next == available {
                        policy.fillSymbols(tokens, count: batch, from: &source)
                        available = batch
                        next = 0
                    }
                    while next < available {
                        let token = tokens[next]
                        next += 1
                        drawn += 1
                        if token == answer { break search }
                    }
                }
                statistics.add(information: surprise.isEmpty ? constant : surprise[Int(answer)], rollouts: drawn)
            }
        }
        tokens.deallocate()
        return BlockResult(statistics: statistics, rollouts: statistics.rollouts)
    }
}

/// Filtered positives with uniform prior and policy over V = 2^b (b <= 16):
/// rollouts come packed from 16-word vectors (see `PackedFields`) and are
/// compared with S a whole vector at a time; the first match in stream order
/// ends the positive, and the rest of that vector is discarded (never drawn
/// as rollouts). Answers S are taken from their own vectors, in order.
struct SFTPackedKernel: SourceKernel {
    typealias Statistics = RatioMoments
    let packing: PackedFields
    let information: Double
    let binWidth: Double?

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<RatioMoments> {
        var statistics = RatioMoments(binWidth: binWidth)
        let perVector = packing.perVector
        let fields = packing.fields
        let mask = packing.mask, shift = packing.shift
        var answers = SIMD16<UInt32>()
        var nextAnswer = perVector
        for _ in 0..<samples {
            if nextAnswer == perVector {
                answers = source.nextVector()
                nextAnswer = 0
            }
            let answer = SIMD16<UInt32>(repeating: packing.field(nextAnswer / 16, of: answers)[nextAnswer % 16])
            nextAnswer += 1
            var drawn: UInt64 = 0
            search: while true {
                let rollouts = source.nextVector()
                // Most vectors (all but about perVector / V) hold no match:
                // one test for all fields, and the match's place in stream
                // order only for the vector that has one.
                var rest = rollouts
                var matches = SIMD16<UInt32>()
                for _ in 0..<fields {
                    matches |= Lanes.ones((rest & mask) .== answer)
                    rest &>>= shift
                }
                if Lanes.anyBitSet(matches) {
                    for j in 0..<fields {
                        let pattern = Lanes.pattern(packing.field(j, of: rollouts) .== answer)
                        if pattern != 0 {
                            drawn += UInt64(16 * j + pattern.trailingZeroBitCount + 1)
                            break search
                        }
                    }
                }
                drawn += UInt64(perVector)
            }
            statistics.add(information: information, rollouts: drawn)
        }
        return BlockResult(statistics: statistics, rollouts: statistics.rollouts)
    }
}

extension KernelSet: SFTKernelFactory {
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
