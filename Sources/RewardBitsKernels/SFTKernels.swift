import Foundation
import RewardBitsCore

/// Expert positives: S ~ q, tau = S + U mod V with U uniform below alpha V;
/// the value is -log2(alpha V) - log2 P(tau) (constant for a uniform prior).
struct SFTExpertKernel<Prior: SymbolSampler>: SourceKernel {
    typealias Statistics = Moments
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

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<Moments> {
        var moments = Moments(center: center, binWidth: binWidth)
        let within = goodSetSize >= 2 ? UniformSymbols(vocabularySize: goodSetSize) : nil
        let uniformValue = offset + log2(Double(vocabularySize))
        surprise.withUnsafeBufferPointer { surprise in
            for _ in 0..<samples {
                let answer = UInt64(prior.draw(&source))
                let shift = UInt64(within?.draw(&source) ?? 0)
                let positive = (answer + shift) % vocabularySize
                moments.add(surprise.isEmpty ? uniformValue : offset + surprise[Int(positive)])
            }
        }
        return BlockResult(statistics: moments, rollouts: 0)
    }
}

/// Filtered positives: S ~ q, then rollouts T ~ pi until T == S.
struct SFTFilteredKernel<Prior: SymbolSampler, Policy: SymbolSampler>: SourceKernel {
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
                        policy.fill(tokens, count: batch, from: &source)
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
