import Foundation
import RewardBitsCore
import CBitOps

/// How the packed group kernel finds the class of each prompt of a batch:
/// M, the number of distinct tokens among its K, or for pointwise 2 M +
/// 1{the answer is among them}. One conformance per strategy, chosen once
/// per block by `GroupPackedKernel.classCounter` from the compiled copy and
/// `KernelChoices.groupDistinct`; all give the same counts from the same
/// tokens (the kernel-copy tests check it).
///
/// - `StampClassCounter`: a stamp per symbol (any copy, any K).
/// - `GroupPackedKernel.PromptSets`: sixteen prompts sorted side by side,
///   one per 16-bit lane (the AVX2 copy, K <= 32).
/// - `RegisterClassCounter`: conflict detection (K <= 64) or a sorting
///   network over pairs of prompts (K <= 32) in registers (the AVX-512 copy).
protocol PromptClassCounter {
    /// Adds the class of each of the `batch` prompts of K tokens at `tokens`
    /// (the 64 words after the last one readable) to `counts`; `answers`
    /// holds each prompt's answer for pointwise, nil for rb.
    mutating func count(_ tokens: UnsafePointer<UInt32>, batch: Int, answers: UnsafePointer<UInt32>?,
                        into counts: UnsafeMutableBufferPointer<UInt64>)
    /// Adds the classes of prompts still held back (sixteen-at-a-time
    /// strategies keep up to 15 between batches).
    mutating func finish(into counts: UnsafeMutableBufferPointer<UInt64>)
    func release()
}

/// A stamp per symbol: the number of the prompt that last saw it. A token is
/// new when its stamp is not the current prompt's; nothing is cleared between
/// prompts (the stamps wrap every 2^16 - 1 prompts). This avoids a
/// per-prompt popcount over a bitmap, whose wide loads cannot be forwarded
/// from the scalar stores just made.
struct StampClassCounter: PromptClassCounter {
    let k: Int
    let vocabularySize: Int
    let stamps: UnsafeMutablePointer<UInt16>
    var stamp: UInt16 = 0

    init(groupSize: Int, vocabularySize: Int) {
        k = groupSize
        self.vocabularySize = vocabularySize
        stamps = .allocate(capacity: vocabularySize)
        stamps.initialize(repeating: 0, count: vocabularySize)
    }

    mutating func count(_ tokens: UnsafePointer<UInt32>, batch: Int, answers: UnsafePointer<UInt32>?,
                        into counts: UnsafeMutableBufferPointer<UInt64>) {
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
            if let answers {
                counts[2 &* m &+ (stamps[Int(answers[prompt])] == stamp ? 1 : 0)] &+= 1
            } else {
                counts[m] &+= 1
            }
        }
    }

    mutating func finish(into counts: UnsafeMutableBufferPointer<UInt64>) {}

    func release() { stamps.deallocate() }
}

extension GroupPackedKernel.PromptSets: PromptClassCounter {
    mutating func count(_ tokens: UnsafePointer<UInt32>, batch: Int, answers: UnsafePointer<UInt32>?,
                        into counts: UnsafeMutableBufferPointer<UInt64>) {
        add(tokens, answers: answers, prompts: batch, into: counts)
    }
}

#if REWARDBITS_AVX512
/// The AVX-512 copy's register strategies: conflict detection (K <= 64) or
/// the sorting network over pairs of prompts (K <= 32).
struct RegisterClassCounter: PromptClassCounter {
    let k: Int
    let sorting: Bool

    mutating func count(_ tokens: UnsafePointer<UInt32>, batch: Int, answers: UnsafePointer<UInt32>?,
                        into counts: UnsafeMutableBufferPointer<UInt64>) {
        // K = 32 (the canonical size) and K = 64 with their lane masks
        // folded in.
        switch (k, sorting) {
        case (32, true): GroupPackedKernel.countVectorPrompts(tokens, batch: batch, groupSize: 32, sorting: true, answers: answers, into: counts)
        case (32, false): GroupPackedKernel.countVectorPrompts(tokens, batch: batch, groupSize: 32, sorting: false, answers: answers, into: counts)
        case (64, false): GroupPackedKernel.countVectorPrompts(tokens, batch: batch, groupSize: 64, sorting: false, answers: answers, into: counts)
        case (_, true): GroupPackedKernel.countVectorPrompts(tokens, batch: batch, groupSize: k, sorting: true, answers: answers, into: counts)
        case (_, false): GroupPackedKernel.countVectorPrompts(tokens, batch: batch, groupSize: k, sorting: false, answers: answers, into: counts)
        }
    }

    mutating func finish(into counts: UnsafeMutableBufferPointer<UInt64>) {}

    func release() {}
}
#endif

extension GroupPackedKernel {
    /// The strategy this copy uses for groups of K tokens over V symbols.
    /// The kernel calls it once per batch through the existential: a batch
    /// loop specialised per strategy measured slower with AVX-512 (its
    /// register path inlined thrice; bench-results/canonical.md).
    static func classCounter(groupSize k: Int, vocabularySize: Int) -> any PromptClassCounter {
        #if REWARDBITS_AVX512
        // The sorting network takes K <= 32; conflict detection K <= 64.
        switch distinctCounting {
        case .sort where k <= 32: return RegisterClassCounter(k: k, sorting: true)
        case .conflict where k <= VectorLanes.maximumGroupSize: return RegisterClassCounter(k: k, sorting: false)
        default: break
        }
        #endif
        #if REWARDBITS_AVX2
        if k <= PromptSets.maximumGroupSize && sortsByLanes { return PromptSets(groupSize: k) }
        #endif
        return StampClassCounter(groupSize: k, vocabularySize: vocabularySize)
    }
}
