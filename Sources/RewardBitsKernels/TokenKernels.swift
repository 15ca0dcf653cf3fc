import Foundation
import RewardBitsCore

/// One episode's bits, 64 tokens per word: the policy's bits x, the target
/// bits s (exact Bernoulli(p)), correctness ~(x ^ s) and the noisy rewards
/// R = correctness ^ e (e exact Bernoulli(eps)). Every kernel draws x, s, e
/// word by word in that order, so all reward modes see the same episodes for
/// a given seed.
struct EpisodeBits {
    let words: Int
    let lastMask: UInt64
    let targets: BernoulliWords
    let flips: BernoulliWords
    let fairTargets: Bool
    let noiseless: Bool

    init(length: Int, targetBias: Double, noise: Double) {
        words = (length + 63) / 64
        lastMask = length % 64 == 0 ? UInt64.max : (UInt64(1) << UInt64(length % 64)) - 1
        targets = BernoulliWords(probability: targetBias)
        flips = BernoulliWords(probability: noise)
        fairTargets = targetBias == 0.5
        noiseless = noise == 0
    }

    @inline(__always)
    func draw<S: RandomStream & ~Copyable>(
        _ source: inout WordSource<S>, policy x: UnsafeMutablePointer<UInt64>, target s: UnsafeMutablePointer<UInt64>,
        correct: UnsafeMutablePointer<UInt64>, reward: UnsafeMutablePointer<UInt64>
    ) {
        for w in 0..<words {
            let mask = w == words - 1 ? lastMask : UInt64.max
            let xw = source.next64()
            let sw = fairTargets ? source.next64() : targets.word(&source)
            let ew = noiseless ? 0 : flips.word(&source)
            let cw = ~(xw ^ sw)
            x[w] = xw & mask
            s[w] = sw & mask
            correct[w] = cw & mask
            reward[w] = (cw ^ ew) & mask
        }
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

    init(words: Int) {
        x = .allocate(capacity: words)
        s = .allocate(capacity: words)
        correct = .allocate(capacity: words)
        reward = .allocate(capacity: words)
    }

    func release() {
        x.deallocate()
        s.deallocate()
        correct.deallocate()
        reward.deallocate()
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
        statistics.counts = CountMoments(dimensions: 5)
        if let binWidth { statistics.values = Moments(center: 0, binWidth: binWidth) }
        let buffers = EpisodeBuffers(words: bits.words)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 5) { counts in
            let counts = counts.baseAddress!
            for _ in 0..<samples {
                bits.draw(&source, policy: buffers.x, target: buffers.s, correct: buffers.correct, reward: buffers.reward)
                var flipped: UInt64 = 0, n11: UInt64 = 0, n10: UInt64 = 0, n01: UInt64 = 0
                for w in 0..<bits.words {
                    let x = buffers.x[w], reward = buffers.reward[w], correct = buffers.correct[w]
                    let mask = w == bits.words - 1 ? bits.lastMask : UInt64.max
                    // The likelihood P(R | x, s) is read off the observation:
                    // a reward that disagrees with correctness was flipped.
                    flipped &+= UInt64((reward ^ correct).nonzeroBitCount)
                    n11 &+= UInt64((x & reward).nonzeroBitCount)
                    n10 &+= UInt64((x & ~reward & mask).nonzeroBitCount)
                    n01 &+= UInt64((~x & reward & mask).nonzeroBitCount)
                }
                counts[0] = flipped
                counts[1] = n11
                counts[2] = n10
                counts[3] = n01
                counts[4] = UInt64(length) - n11 - n10 - n01
                statistics.counts.add(counts)
                if binWidth != nil {
                    var value = valueOffset
                    for c in 0..<5 { value += valueCoefficients[c] * Double(counts[c]) }
                    statistics.values.add(value)
                }
            }
        }
        buffers.release()
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
        levels = tables.levels
        levelOfSum = tables.levelOfSum
        conditionalLevels = tables.conditionalLevels
        marginalLevels = tables.marginalLevels
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<TokenStatistics> {
        var statistics = TokenStatistics()
        var moments = Moments(center: center, binWidth: binWidth)
        var successes: UInt64 = 0
        let buffers = EpisodeBuffers(words: bits.words)
        let checkpointTables = blockRanges.map { (conditionalBits[$0.to - $0.from]!, marginalBits[$0.to - $0.from]!) }
        for _ in 0..<samples {
            bits.draw(&source, policy: buffers.x, target: buffers.s, correct: buffers.correct, reward: buffers.reward)
            var value = 0.0
            if case .checkpoint = reward {
                for (b, range) in blockRanges.enumerated() {
                    let n = range.to - range.from
                    let k = EpisodeBits.ones(buffers.x, from: range.from, to: range.to)
                    let c = EpisodeBits.ones(buffers.correct, from: range.from, to: range.to)
                    let r = EpisodeBits.ones(buffers.reward, from: range.from, to: range.to) == n ? 1 : 0
                    successes += UInt64(r)
                    let (conditional, marginal) = checkpointTables[b]
                    value += conditional[2 * c + r] - marginal[2 * k + r]
                }
            } else {
                var k = 0, c = 0, m = 0
                for w in 0..<bits.words {
                    k += buffers.x[w].nonzeroBitCount
                    c += buffers.correct[w].nonzeroBitCount
                    m += buffers.reward[w].nonzeroBitCount
                }
                let level = levelOfSum[m]
                value = conditionalLevels[c * levels + level] - marginalLevels[k * levels + level]
            }
            moments.add(value)
        }
        buffers.release()
        statistics.values = moments
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
        let buffers = EpisodeBuffers(words: 1)
        for _ in 0..<samples {
            bits.draw(&source, policy: buffers.x, target: buffers.s, correct: buffers.correct, reward: buffers.reward)
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
            case .graded:
                code = levelOfSum[rewardBits.nonzeroBitCount]
            }
            let observation = Int(buffers.x[0]) * rewardAlphabet + code
            statistics.blockCells.append(UInt32(Int(buffers.s[0]) * observations + observation))
        }
        buffers.release()
        return BlockResult(statistics: statistics, rollouts: UInt64(samples))
    }
}
