import Foundation
import CBitOps
import RewardBitsCore

/// One episode's bits, 64 tokens per word: the policy's bits x, the target
/// bits s (exact Bernoulli(p)), correctness ~(x ^ s) and the noisy rewards
/// R = correctness ^ e (e exact Bernoulli(eps)).
///
/// Stream format: the episode is drawn in chunks of four 64-bit words (256
/// tokens); per chunk, x as one 8-word vector, then s (one vector when p =
/// 1/2, else Bernoulli digits), then e (Bernoulli digits), each digit one
/// 8-word vector. Lanes beyond T are zero. Every reward mode draws episodes
/// the same way, so all modes see the same episodes for a given seed.
struct EpisodeBits {
    let words: Int
    /// Words rounded up to whole chunks of four.
    let paddedWords: Int
    let lastMask: UInt64
    let targets: BernoulliWords
    let flips: BernoulliWords
    let fairTargets: Bool
    let noiseless: Bool
    /// Fair targets and noise whose flips take their first vector rounds
    /// in full: a chunk's leading vectors (x, s, the flips' first rounds)
    /// can be taken from the stream in one piece.
    let wholeChunks: Bool
    /// How the targets' and flips' Bernoulli words put their packed lanes
    /// back (`BitDeposit.preferred`).
    let deposit = BitDeposit.preferred

    init(length: Int, targetBias: Double, noise: Double) {
        words = (length + 63) / 64
        paddedWords = (words + 3) / 4 * 4
        lastMask = length % 64 == 0 ? UInt64.max : (UInt64(1) << UInt64(length % 64)) - 1
        targets = BernoulliWords(probability: targetBias)
        flips = BernoulliWords(probability: noise)
        fairTargets = targetBias == 0.5
        noiseless = noise == 0
        wholeChunks = fairTargets && flips.drawsFullVectorRounds
    }

    /// The live bits of chunk `c`: all of every word below T, the low T mod
    /// 64 bits of the last word, nothing beyond.
    @inline(__always)
    func live(chunk c: Int) -> SIMD4<UInt64> {
        var mask = SIMD4<UInt64>()
        for lane in 0..<4 {
            let w = 4 * c + lane
            mask[lane] = w < words - 1 ? UInt64.max : (w == words - 1 ? lastMask : 0)
        }
        return mask
    }

    @inline(__always)
    func draw<S: RandomStream & ~Copyable>(
        _ source: inout WordSource<S>, live masks: UnsafePointer<SIMD4<UInt64>>,
        policy x: UnsafeMutablePointer<UInt64>, target s: UnsafeMutablePointer<UInt64>,
        correct: UnsafeMutablePointer<UInt64>, reward: UnsafeMutablePointer<UInt64>
    ) {
        for c in 0..<(paddedWords / 4) {
            let live = masks[c]
            let (xw, sw, ew) = chunk(&source, live: live)
            let cw = ~(xw ^ sw) & live
            let offset = 4 * c
            UnsafeMutableRawPointer(x + offset).storeBytes(of: xw, as: SIMD4<UInt64>.self)
            UnsafeMutableRawPointer(s + offset).storeBytes(of: sw, as: SIMD4<UInt64>.self)
            UnsafeMutableRawPointer(correct + offset).storeBytes(of: cw, as: SIMD4<UInt64>.self)
            UnsafeMutableRawPointer(reward + offset).storeBytes(of: cw ^ ew, as: SIMD4<UInt64>.self)
        }
    }

    /// One chunk of 256 tokens, in stream order: policy bits x, target bits
    /// s, flips e (lanes beyond T zero).
    @inline(__always)
    func chunk<S: RandomStream & ~Copyable>(
        _ source: inout WordSource<S>, live: SIMD4<UInt64>
    ) -> (x: SIMD4<UInt64>, s: SIMD4<UInt64>, e: SIMD4<UInt64>) {
        // The same words in the same order, without a reader update per
        // vector, wherever the buffer holds the chunk's leading vectors.
        if wholeChunks, let first = source.contiguousHalfVectors(2 + BernoulliWords.vectorRounds) {
            let xw = first.loadUnaligned(as: SIMD4<UInt64>.self) & live
            let sw = first.loadUnaligned(fromByteOffset: 32, as: SIMD4<UInt64>.self) & live
            let ew = flips.words4(&source, live: live, firstRounds: first + 64, deposit: deposit)
            return (xw, sw, ew)
        }
        let xw = unsafeBitCast(source.nextHalfVector(), to: SIMD4<UInt64>.self) & live
        let sw = fairTargets
            ? unsafeBitCast(source.nextHalfVector(), to: SIMD4<UInt64>.self) & live
            : targets.words4(&source, live: live, deposit: deposit)
        let ew = noiseless ? SIMD4<UInt64>() : flips.words4(&source, live: live, deposit: deposit)
        return (xw, sw, ew)
    }

    /// The per-token kernel's four counts of one episode, drawn exactly as
    /// `draw` draws it (same words, same order) but counted in registers:
    /// flips |e|, n11 = |x & R|, n10 = |x| - n11 and n01 = |R| - n11 (bits
    /// beyond T are zero in x and R).
    @inline(__always)
    func counts<S: RandomStream & ~Copyable>(
        _ source: inout WordSource<S>, live masks: UnsafePointer<SIMD4<UInt64>>
    ) -> SIMD4<UInt64> {
        var total = SIMD4<UInt64>()
        for c in 0..<(paddedWords / 4) {
            let live = masks[c]
            let (xw, sw, ew) = chunk(&source, live: live)
            let rw = (~(xw ^ sw) & live) ^ ew
            total &+= bitops_token_counts(xw, rw, ew)
        }
        return total
    }

    /// The number of ones among bits [from, to) of `words`.
    @inline(__always)
    static func ones(_ words: UnsafeMutablePointer<UInt64>, from: Int, to: Int) -> Int {
        var total = 0
        var i = from
        while i < to {
            let offset = i & 63
            let take = min(64 - offset, to - i)
            let mask = take == 64 ? UInt64.max : ((UInt64(1) << UInt64(take)) - 1) << UInt64(offset)
            total += (words[i >> 6] & mask).nonzeroBitCount
            i += take
        }
        return total
    }
}

/// Scratch space for one episode's words.
struct EpisodeBuffers {
    let x, s, correct, reward: UnsafeMutablePointer<UInt64>
    let live: UnsafeMutablePointer<SIMD4<UInt64>>

    init(_ bits: EpisodeBits) {
        let words = bits.paddedWords
        x = .allocate(capacity: words)
        s = .allocate(capacity: words)
        correct = .allocate(capacity: words)
        reward = .allocate(capacity: words)
        live = .allocate(capacity: words / 4)
        for c in 0..<(words / 4) { live[c] = bits.live(chunk: c) }
    }

    func draw<S: RandomStream & ~Copyable>(_ bits: EpisodeBits, _ source: inout WordSource<S>) {
        bits.draw(&source, live: live, policy: x, target: s, correct: correct, reward: reward)
    }

    func release() {
        x.deallocate()
        s.deallocate()
        correct.deallocate()
        reward.deallocate()
        live.deallocate()
    }
}

/// Per-token rewards on 64-bit words; an episode reduces to five counts:
/// flips, and the (policy bit, reward) classes.
struct TokenKernel: SourceKernel {
    typealias Statistics = TokenStatistics
    let length: Int
    let bits: EpisodeBits
    let valueOffset: Double
    let valueCoefficients: [Double]
    let binWidth: Double?

    init(length: Int, targetBias: Double, noise: Double, valueOffset: Double, valueCoefficients: [Double], binWidth: Double?) {
        self.length = length
        bits = EpisodeBits(length: length, targetBias: targetBias, noise: noise)
        self.valueOffset = valueOffset
        self.valueCoefficients = valueCoefficients
        self.binWidth = binWidth
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<TokenStatistics> {
        var statistics = TokenStatistics()
        if let binWidth { statistics.values = StratifiedMoments(center: 0, binWidth: binWidth) }
        // Only the live-bit masks: the counts come from registers, not from
        // an episode's words (see `EpisodeBits.counts`).
        let chunks = bits.paddedWords / 4
        let live = UnsafeMutablePointer<SIMD4<UInt64>>.allocate(capacity: chunks)
        for c in 0..<chunks { live[c] = bits.live(chunk: c) }
        defer { live.deallocate() }
        let t = UInt64(length)
        // Sums and products of the four counts (flips, n11, n10, n01) in
        // plain integers: an episode's counts are at most 2^16, so a block's
        // sums of products stay below 2^64 for up to 2^32 episodes.
        // Episodes are drawn a batch at a time into `batchCounts`, then
        // summed in a second loop: kept apart, neither loop spills the
        // other's state (the draw's masks, the ten running products).
        var sum = SIMD4<UInt64>()
        // squares: ff, 11·11, 10·10, 01·01; neighbours: f·11, 11·10, 10·01,
        // 01·f; across (lanes 0 and 1): f·10, 11·01.
        var squares = SIMD4<UInt64>(), neighbours = SIMD4<UInt64>(), across = SIMD4<UInt64>()
        let batch = 64
        let batchCounts = UnsafeMutablePointer<SIMD4<UInt64>>.allocate(capacity: batch)
        defer { batchCounts.deallocate() }
        var done = 0
        while done < samples {
            let n = Swift.min(batch, samples - done)
            for i in 0..<n {
                // The likelihood P(R | x, s) is read off the observation: a
                // reward that disagrees with correctness was flipped.
                batchCounts[i] = bits.counts(&source, live: live)
            }
            for i in 0..<n {
                // Counts are at most 2^16: the mask changes no value, but it
                // tells the compiler every product is one 32 x 32-bit
                // multiply (`vpmuludq`) instead of a 64-bit one built from
                // three of them and shifts (AVX2 has no 64-bit multiply).
                let c = batchCounts[i] & SIMD4(repeating: 0xFFFF_FFFF)
                sum &+= c
                squares &+= c &* c
                neighbours &+= c &* SIMD4(c[1], c[2], c[3], c[0])
                across &+= c &* SIMD4(c[2], c[3], c[0], c[1])
            }
            if binWidth != nil {
                for i in 0..<n {
                    let counts = batchCounts[i]
                    let n00 = t &- counts[1] &- counts[2] &- counts[3]
                    var value = valueOffset + valueCoefficients[4] * Double(n00)
                    for c in 0..<4 { value += valueCoefficients[c] * Double(counts[c]) }
                    statistics.values.add(value, rare: false)
                }
            }
            done += n
        }
        // Products in the order of CountMoments(fourCounts:products:).
        let products = SIMD16<UInt64>(squares[0], neighbours[0], across[0], neighbours[3], squares[1],
                                      neighbours[1], across[1], squares[2], neighbours[2], squares[3], 0, 0, 0, 0, 0, 0)
        statistics.counts = CountMoments(fourCounts: sum, products: products, samples: UInt64(samples), length: t)
        return BlockResult(statistics: statistics, rollouts: UInt64(samples))
    }
}

/// Checkpoint, sum and graded rewards: the pointwise information of an
/// episode, log2 P(reward | x, s) - log2 P(reward | x), from tables of the
/// exact distributions.
struct TokenAggregateKernel: SourceKernel {
    typealias Statistics = TokenStatistics
    let bits: EpisodeBits
    let reward: TokenReward
    let length: Int
    let center: Double
    let binWidth: Double?
    /// Checkpoints: block ranges and, per block size, log2 P(r | c) and
    /// log2 P(r | k) for r = 0, 1 (index 2 c + r).
    let blockRanges: [(from: Int, to: Int)]
    let conditionalBits: [Int: [Double]]
    let marginalBits: [Int: [Double]]
    let rareOutcomes: [Int: [Bool]]
    /// Sums and grades: log2 P(level | c) and log2 P(level | k), row-major.
    let levels: Int
    let levelOfSum: [Int]
    let conditionalLevels: [Double]
    let marginalLevels: [Double]

    init(tables: TokenAggregateTables, center: Double, binWidth: Double?) {
        bits = EpisodeBits(length: tables.length, targetBias: tables.targetBias, noise: tables.noise)
        reward = tables.reward
        length = tables.length
        self.center = center
        self.binWidth = binWidth
        blockRanges = tables.blockRanges
        conditionalBits = tables.conditionalBits
        marginalBits = tables.marginalBits
        rareOutcomes = tables.rareCheckpointOutcomes
        levels = tables.levels
        levelOfSum = tables.levelOfSum
        conditionalLevels = tables.conditionalLevels
        marginalLevels = tables.marginalLevels
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<TokenStatistics> {
        var statistics = TokenStatistics()
        var moments = StratifiedMoments(center: center, binWidth: binWidth)
        // Checkpoints are independent across the blocks of an episode, so
        // each is a sample of its own for the interval: a rewarded one is a
        // rare event worth at most one block's value, not an episode's.
        var checkpoints = StratifiedMoments()
        var successes: UInt64 = 0
        let buffers = EpisodeBuffers(bits)
        let checkpointTables = blockRanges.map { (conditionalBits[$0.to - $0.from]!, marginalBits[$0.to - $0.from]!) }
        let rareTables = blockRanges.map { rareOutcomes[$0.to - $0.from] ?? [] }
        let blockSizes = blockRanges.map { $0.to - $0.from }
        // Where every checkpoint block lies within one word (C dividing 64
        // or a single short episode), its bits are one word and mask: the
        // same counts as `EpisodeBits.ones`, with no loop per block.
        let blockWords: [(word: Int, mask: UInt64)]? = blockRanges.allSatisfy { $0.from >> 6 == ($0.to - 1) >> 6 }
            ? blockRanges.map { range in
                let n = range.to - range.from
                return (range.from >> 6, (n == 64 ? UInt64.max : (UInt64(1) << UInt64(n)) - 1) << UInt64(range.from & 63))
            }
            : nil
        for _ in 0..<samples {
            buffers.draw(bits, &source)
            var value = 0.0
            if case .checkpoint = reward, let blockWords {
                for b in 0..<blockWords.count {
                    let (w, mask) = blockWords[b]
                    let k = (buffers.x[w] & mask).nonzeroBitCount
                    let c = (buffers.correct[w] & mask).nonzeroBitCount
                    let r = buffers.reward[w] & mask == mask ? 1 : 0
                    successes += UInt64(r)
                    let (conditional, marginal) = checkpointTables[b]
                    let blockValue = conditional[2 * c + r] - marginal[2 * k + r]
                    checkpoints.add(blockValue, rare: rareTables[b].isEmpty ? r == 1
                                        : rareTables[b][(c * (blockSizes[b] + 1) + k) * 2 + r])
                    value += blockValue
                }
            } else if case .checkpoint = reward {
                for (b, range) in blockRanges.enumerated() {
                    let n = range.to - range.from
                    let k = EpisodeBits.ones(buffers.x, from: range.from, to: range.to)
                    let c = EpisodeBits.ones(buffers.correct, from: range.from, to: range.to)
                    let r = EpisodeBits.ones(buffers.reward, from: range.from, to: range.to) == n ? 1 : 0
                    successes += UInt64(r)
                    let (conditional, marginal) = checkpointTables[b]
                    let blockValue = conditional[2 * c + r] - marginal[2 * k + r]
                    checkpoints.add(blockValue, rare: rareTables[b].isEmpty ? r == 1
                                        : rareTables[b][(c * (blockSizes[b] + 1) + k) * 2 + r])
                    value += blockValue
                }
            } else {
                var k = 0, c = 0, m = 0
                for w in 0..<bits.paddedWords {
                    k += buffers.x[w].nonzeroBitCount
                    c += buffers.correct[w].nonzeroBitCount
                    m += buffers.reward[w].nonzeroBitCount
                }
                let level = levelOfSum[m]
                value = conditionalLevels[c * levels + level] - marginalLevels[k * levels + level]
            }
            moments.add(value, rare: false)
        }
        buffers.release()
        statistics.values = moments
        statistics.checkpoints = checkpoints
        statistics.successes = successes
        return BlockResult(statistics: statistics, rollouts: UInt64(samples))
    }
}

/// Plug-in kernel: each episode's cell (s, x, reward) is recorded. Small T
/// only (|S| x |O| <= 2^24), so an episode fits in one word.
struct TokenPluginKernel: SourceKernel {
    typealias Statistics = PluginStatistics
    let bits: EpisodeBits
    let length: Int
    let reward: TokenReward
    let rewardAlphabet: Int
    let observations: Int
    let levelOfSum: [Int]

    init(length: Int, targetBias: Double, noise: Double, reward: TokenReward, rewardAlphabet: Int, levelOfSum: [Int]) {
        bits = EpisodeBits(length: length, targetBias: targetBias, noise: noise)
        self.length = length
        self.reward = reward
        self.rewardAlphabet = rewardAlphabet
        observations = (1 << length) * rewardAlphabet
        self.levelOfSum = levelOfSum
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<PluginStatistics> {
        let t = length
        var statistics = PluginStatistics(cells: (1 << t) * observations, observations: observations,
                                          block: block, capacity: samples)
        let buffers = EpisodeBuffers(bits)
        for _ in 0..<samples {
            buffers.draw(bits, &source)
            let rewardBits = buffers.reward[0]
            let code: Int
            switch reward {
            case .perToken:
                code = Int(rewardBits)
            case .checkpoint(let c):
                var pattern = 0
                var start = 0, b = 0
                while start < t {
                    let end = min(start + c, t)
                    if EpisodeBits.ones(buffers.reward, from: start, to: end) == end - start { pattern |= 1 << b }
                    start = end
                    b += 1
                }
                code = pattern
            case .sum:
                code = rewardBits.nonzeroBitCount
            case .graded, .gradedQuantile:
                code = levelOfSum[rewardBits.nonzeroBitCount]
            }
            let observation = Int(buffers.x[0]) * rewardAlphabet + code
            statistics.blockCells.append(UInt32(Int(buffers.s[0]) * observations + observation))
        }
        buffers.release()
        return BlockResult(statistics: statistics, rollouts: UInt64(samples))
    }
}

extension KernelSet: TokenKernelFactory {
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
}
