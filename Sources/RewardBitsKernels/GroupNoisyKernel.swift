import Foundation
import RewardBitsCore

/// `group` with verifier noise: each of the K rewards is flipped with
/// probability eps, independently.
///
/// The classes h of S given the tokens are the M distinct tokens d (prior
/// weight w_d = q(d), positions c_d) and "none" (w = 1 - Q, c = 0). With
/// rho = eps / (1 - eps) and the common factor (1 - eps)^K cancelled:
///
/// - pointwise, observed rewards r: b_h = n_h - 2 r_h (r_h the ones among h's
///   positions, b_none = 0) and i = log2 rho^{b_S} - log2 sum_h w_h rho^{b_h}.
/// - rb, conditioning on the tokens and the flip vector e (independent of S):
///   a_h = n_h - 2 e_h, G_{-h} = sum_{h' != h} w_h' rho^{a_h'} and
///   i(h) = -log2(w_h + rho^{a_h} G_{-h}); the value is sum_h w_h i(h).
///
/// Both are O(K + M) per prompt and evaluated in log space, so neither
/// overflows for any K. Each log w and each exp(term - max) is taken once
/// (log q from a table) and reused where the formulas repeat it: the same
/// values, so the same bits as evaluating every occurrence.
struct GroupNoisyKernel<Policy: KernelSymbolSampler>: SourceKernel {
    typealias Statistics = GroupStatistics
    let policy: Policy
    let prior: AliasTable?
    let uniformAnswers: UniformSymbols
    /// q(t), or nil for a uniform prior (weight 1/V).
    let priorProbabilities: [Double]?
    /// log q(t) (-infinity where q(t) = 0), beside `priorProbabilities`.
    let logPriorProbabilities: [Double]?
    let vocabularySize: UInt64
    let groupSize: Int
    let flips: BernoulliWords
    let logRho: Double
    let pointwise: Bool
    let center: Double
    /// rb: values at or above `rareThreshold`, or at or below `rareBelow`,
    /// are the rare events (pointwise: the hits). With noise an rb value can
    /// be negative: a flip can make the rewards look less like any class.
    let rareThreshold: Double
    let rareBelow: Double
    let binWidth: Double?

    init(policy: Policy, prior: AliasTable?, priorProbabilities: [Double]?, vocabularySize: UInt64, groupSize: Int,
         noise: Double, pointwise: Bool, center: Double, rareThreshold: Double, rareBelow: Double, binWidth: Double?) {
        self.rareThreshold = rareThreshold
        self.rareBelow = rareBelow
        self.policy = policy
        self.prior = prior
        uniformAnswers = UniformSymbols(vocabularySize: vocabularySize)
        self.priorProbabilities = priorProbabilities
        logPriorProbabilities = priorProbabilities.map { $0.map { $0 > 0 ? log($0) : -.infinity } }
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        flips = BernoulliWords(probability: noise)
        logRho = log(noise) - log1p(-noise)
        self.pointwise = pointwise
        self.center = center
        self.binWidth = binWidth
    }

    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<GroupStatistics> {
        let k = groupSize
        let batchPrompts = max(1, 4096 / k)
        var moments = StratifiedMoments(center: center, binWidth: binWidth)
        var counts = [UInt64](repeating: 0, count: k + 1)
        let tokens = UnsafeMutablePointer<UInt32>.allocate(capacity: batchPrompts * k)
        let flipWords = UnsafeMutablePointer<UInt64>.allocate(capacity: (k + 63) / 64)
        // A group's distinct tokens: for V <= 2^16 a stamp and a slot per
        // symbol (one load and compare per token, reset by one increment),
        // else a hash map.
        let direct = vocabularySize <= 1 << 16
        let tableSize = direct ? Int(vocabularySize) : 0
        let symbolStamps = UnsafeMutablePointer<UInt32>.allocate(capacity: tableSize)
        symbolStamps.initialize(repeating: 0, count: tableSize)
        let symbolSlots = UnsafeMutablePointer<Int32>.allocate(capacity: tableSize)
        symbolSlots.initialize(repeating: 0, count: tableSize)
        var stamp: UInt32 = 0
        var slots = SlotMap(groupSize: direct ? 1 : k)
        // Per distinct token: its symbol, count, and ones (rewards or flips),
        // its exponent x = n - 2 r and prior weight w.
        let symbols = UnsafeMutablePointer<UInt32>.allocate(capacity: k)
        let multiplicity = UnsafeMutablePointer<Int>.allocate(capacity: k)
        let ones = UnsafeMutablePointer<Int>.allocate(capacity: k)
        let exponents = UnsafeMutablePointer<Int>.allocate(capacity: k)
        let weights = UnsafeMutablePointer<Double>.allocate(capacity: k)
        let logTerms = UnsafeMutablePointer<Double>.allocate(capacity: k + 1)
        // log w_h and exp(log term_h - max) per class.
        let logWeights = UnsafeMutablePointer<Double>.allocate(capacity: k + 1)
        let scaledTerms = UnsafeMutablePointer<Double>.allocate(capacity: k + 1)
        let uniformWeight = 1 / Double(vocabularySize)
        let logUniformWeight = log(uniformWeight)
        // With a uniform prior a class's terms depend on its exponent alone
        // (every weight is 1/V) and w_none on M alone: the mass of M tokens
        // (the sum of M weights, added one by one) and log w + x log rho are
        // tabulated per block, each distinct x of a prompt takes its exp
        // (and, for rb, its summand) once, and each M its log(w_none) once
        // per block. The same arguments, so the same bits, added in the
        // same order.
        let uniform = priorProbabilities == nil
        let exponentCount = 2 * k + 1
        let uniformMass = UnsafeMutablePointer<Double>.allocate(capacity: k + 1)
        let uniformLogTerms = UnsafeMutablePointer<Double>.allocate(capacity: exponentCount)
        if uniform {
            var mass = 0.0
            uniformMass[0] = mass
            for m in 1...k {
                mass += uniformWeight
                uniformMass[m] = mass
            }
            for x in -k...k { uniformLogTerms[x + k] = logUniformWeight + Double(x) * logRho }
        }
        let memoStamps = UnsafeMutablePointer<Int>.allocate(capacity: 2 * exponentCount)
        memoStamps.initialize(repeating: -1, count: 2 * exponentCount)
        let memoTerms = UnsafeMutablePointer<Double>.allocate(capacity: exponentCount)
        let memoSummands = UnsafeMutablePointer<Double>.allocate(capacity: exponentCount)
        var logNoneWeights = [Double?](repeating: nil, count: k + 1)
        var promptIndex = 0
        let priorWeights = priorProbabilities ?? []
        let logPriorWeights = logPriorProbabilities ?? []
        priorWeights.withUnsafeBufferPointer { priorWeights in
        logPriorWeights.withUnsafeBufferPointer { logPriorWeights in
        var done = 0
        while done < samples {
            let batch = min(batchPrompts, samples - done)
            policy.fillSymbols(tokens, count: batch * k, from: &source)
            for prompt in 0..<batch {
                let group = tokens + prompt * k
                for w in 0..<((k + 63) / 64) { flipWords[w] = flips.word(&source) }
                let answer: UInt32 = pointwise ? (prior.map { $0.draw(&source) } ?? uniformAnswers.draw(&source)) : 0
                if direct {
                    if stamp == UInt32.max {
                        symbolStamps.update(repeating: 0, count: tableSize)
                        stamp = 0
                    }
                    stamp &+= 1
                } else {
                    slots.reset()
                }
                var m = 0
                for i in 0..<k {
                    let t = group[i]
                    let slot: Int
                    if direct {
                        if symbolStamps[Int(t)] != stamp {
                            symbolStamps[Int(t)] = stamp
                            symbolSlots[Int(t)] = Int32(truncatingIfNeeded: m)
                            slot = m
                            symbols[m] = t
                            multiplicity[m] = 0
                            ones[m] = 0
                            m &+= 1
                        } else {
                            slot = Int(symbolSlots[Int(t)])
                        }
                    } else {
                        let (found, fresh) = slots.slot(for: t, next: m)
                        if fresh {
                            symbols[found] = t
                            multiplicity[found] = 0
                            ones[found] = 0
                            m &+= 1
                        }
                        slot = found
                    }
                    multiplicity[slot] &+= 1
                    let flipped = Int((flipWords[i >> 6] >> UInt64(i & 63)) & 1)
                    if pointwise {
                        // The observed reward: correctness xor flip.
                        ones[slot] &+= (t == answer ? 1 : 0) ^ flipped
                    } else {
                        ones[slot] &+= flipped
                    }
                }
                var mass: Double
                if uniform {
                    mass = uniformMass[m]
                } else {
                    mass = 0
                    for slot in 0..<m { mass += priorWeights[Int(symbols[slot])] }
                }
                let noneWeight = max(0, 1 - mass)
                // log w_h + x_h log rho for the M tokens, then "none" (x = 0).
                var maxTerm = -Double.infinity
                for slot in 0..<m {
                    let x = multiplicity[slot] &- 2 &* ones[slot]
                    exponents[slot] = x
                    if uniform {
                        logWeights[slot] = logUniformWeight
                        logTerms[slot] = uniformLogTerms[x &+ k]
                    } else {
                        let symbol = Int(symbols[slot])
                        let w = priorWeights[symbol]
                        weights[slot] = w
                        logWeights[slot] = logPriorWeights[symbol]
                        logTerms[slot] = w > 0 ? logWeights[slot] + Double(x) * logRho : -.infinity
                    }
                    maxTerm = max(maxTerm, logTerms[slot])
                }
                if uniform, let logNone = logNoneWeights[m] {
                    logWeights[m] = logNone
                } else {
                    logWeights[m] = noneWeight > 0 ? log(noneWeight) : -.infinity
                    if uniform { logNoneWeights[m] = logWeights[m] }
                }
                logTerms[m] = logWeights[m]
                maxTerm = max(maxTerm, logTerms[m])
                promptIndex &+= 1
                var total = 0.0
                for h in 0...m {
                    if uniform && h < m {
                        let key = exponents[h] &+ k
                        if memoStamps[key] != promptIndex {
                            memoTerms[key] = exp(logTerms[h] - maxTerm)
                            memoStamps[key] = promptIndex
                        }
                        scaledTerms[h] = memoTerms[key]
                    } else {
                        scaledTerms[h] = exp(logTerms[h] - maxTerm)
                    }
                    total += scaledTerms[h]
                }
                let value: Double
                var hit = false
                if pointwise {
                    let slotOfAnswer: Int?
                    if direct {
                        slotOfAnswer = symbolStamps[Int(answer)] == stamp ? Int(symbolSlots[Int(answer)]) : nil
                    } else {
                        slotOfAnswer = slots.lookup(answer)
                    }
                    let b = slotOfAnswer.map { Double(exponents[$0]) } ?? 0
                    hit = slotOfAnswer != nil
                    value = (b * logRho - (maxTerm + log(total))) / M_LN2
                } else {
                    var sum = 0.0
                    for h in 0...m {
                        let w: Double
                        let a: Double
                        if h < m {
                            w = uniform ? uniformWeight : weights[h]
                            a = Double(exponents[h])
                        } else {
                            w = noneWeight
                            a = 0
                        }
                        guard w > 0 else { continue }
                        let own = scaledTerms[h]
                        var rest = total - own
                        // A class whose term is at most half the total has a
                        // summand that depends on its exponent alone (uniform
                        // prior). At most one class of a prompt is above half
                        // (two equal terms t give a total of at least 2t), and
                        // its summand is not reused.
                        let summandKey = uniform && h < m && own <= 0.5 * total ? exponents[h] &+ k : -1
                        if summandKey >= 0 && memoStamps[exponentCount &+ summandKey] == promptIndex {
                            sum += memoSummands[summandKey]
                            continue
                        }
                        if own > 0.5 * total {
                            // The subtraction would cancel: sum the others directly.
                            rest = 0
                            for other in 0...m where other != h { rest += scaledTerms[other] }
                        }
                        let logW = logWeights[h]
                        let logOther = rest > 0 ? a * logRho + maxTerm + log(rest) : -Double.infinity
                        // log(exp(logW) + exp(logOther)) around the larger,
                        // whose own exp(0) is exactly 1.
                        let high = max(logW, logOther)
                        let logSum = high + log(logW >= logOther ? 1 + exp(logOther - logW) : exp(logW - logOther) + 1)
                        let summand = w * (-logSum / M_LN2)
                        if summandKey >= 0 {
                            memoSummands[summandKey] = summand
                            memoStamps[exponentCount &+ summandKey] = promptIndex
                        }
                        sum += summand
                    }
                    value = sum
                }
                moments.add(value, rare: pointwise ? hit : value >= rareThreshold || value <= rareBelow)
                counts[m] &+= 1
            }
            done += batch
        }
        }
        }
        tokens.deallocate()
        flipWords.deallocate()
        symbolStamps.deallocate()
        symbolSlots.deallocate()
        symbols.deallocate()
        multiplicity.deallocate()
        ones.deallocate()
        exponents.deallocate()
        weights.deallocate()
        logTerms.deallocate()
        logWeights.deallocate()
        scaledTerms.deallocate()
        uniformMass.deallocate()
        uniformLogTerms.deallocate()
        memoStamps.deallocate()
        memoTerms.deallocate()
        memoSummands.deallocate()
        slots.release()
        var statistics = GroupStatistics()
        statistics.classes.counts = counts
        statistics.values = moments
        return BlockResult(statistics: statistics, rollouts: UInt64(samples) * UInt64(k))
    }
}

/// Token -> slot (0..<M) for one group, reset in O(1) by stamping.
struct SlotMap {
    let keys: UnsafeMutablePointer<UInt32>
    let values: UnsafeMutablePointer<Int32>
    let stamps: UnsafeMutablePointer<UInt32>
    let mask: Int
    let shift: UInt32
    var stamp: UInt32 = 1

    init(groupSize: Int) {
        var bits = 6
        while (1 << bits) < 4 * groupSize { bits += 1 }
        let capacity = 1 << bits
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        values = .allocate(capacity: capacity)
        values.initialize(repeating: 0, count: capacity)
        stamps = .allocate(capacity: capacity)
        stamps.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
        shift = UInt32(32 - bits)
    }

    mutating func reset() {
        stamp &+= 1
        if stamp == 0 {
            stamps.update(repeating: 0, count: mask + 1)
            stamp = 1
        }
    }

    /// The slot of `token`, giving it slot `next` when it is new.
    @inline(__always)
    mutating func slot(for token: UInt32, next: Int) -> (Int, Bool) {
        var i = Int((token &* 0x9E37_79B1) >> shift)
        while stamps[i] == stamp {
            if keys[i] == token { return (Int(values[i]), false) }
            i = (i + 1) & mask
        }
        stamps[i] = stamp
        keys[i] = token
        values[i] = Int32(next)
        return (next, true)
    }

    func lookup(_ token: UInt32) -> Int? {
        var i = Int((token &* 0x9E37_79B1) >> shift)
        while stamps[i] == stamp {
            if keys[i] == token { return Int(values[i]) }
            i = (i + 1) & mask
        }
        return nil
    }

    func release() {
        keys.deallocate()
        values.deallocate()
        stamps.deallocate()
    }
}
