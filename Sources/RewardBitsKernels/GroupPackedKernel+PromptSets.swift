import Foundation
import RewardBitsCore
import CBitOps

extension GroupPackedKernel {
    #if REWARDBITS_AVX2
    /// Whether the AVX2 copy counts groups of K <= 32 by the lane-wise
    /// network (`PromptSets`) rather than the stamps: always, unless
    /// `KernelChoices.groupDistinct` says stamps.
    static let sortsByLanes = KernelChoices.groupDistinct != .stamps
    #endif

    /// Prompts handed to `bitops_group_classes16` sixteen at a time: whole sets
    /// straight from a batch, the rest staged (tokens and answers copied)
    /// until the next batch completes the set, and a last short set padded
    /// with copies of its first prompt whose classes are not counted. A
    /// batch's prompt count need not be a multiple of 16: the batch size is
    /// part of the packed kernel's stream (its answers take whole vectors
    /// per batch), and the classes are counted in any order.
    struct PromptSets {
        static let maximumGroupSize = 32
        let k: Int
        let stagedTokens: UnsafeMutablePointer<UInt32>
        let stagedAnswers: UnsafeMutablePointer<UInt32>
        let classes: UnsafeMutablePointer<UInt16>
        var staged = 0
        var pointwise = false

        init(groupSize: Int) {
            k = groupSize
            // 32 tokens are loaded from the start of every prompt, whatever K.
            stagedTokens = .allocate(capacity: 16 * groupSize + 32)
            stagedTokens.initialize(repeating: 0, count: 16 * groupSize + 32)
            stagedAnswers = .allocate(capacity: 16)
            classes = .allocate(capacity: 16)
        }

        func release() {
            stagedTokens.deallocate()
            stagedAnswers.deallocate()
            classes.deallocate()
        }

        @inline(__always)
        func count(_ tokens: UnsafePointer<UInt32>, answers: UnsafePointer<UInt32>?, lanes: Int,
                   into counts: UnsafeMutableBufferPointer<UInt64>) {
            bitops_group_classes16(tokens, Int32(k), answers, classes)
            for g in 0..<lanes { counts[Int(classes[g])] &+= 1 }
        }

        @inline(__always)
        mutating func stage(_ tokens: UnsafePointer<UInt32>, answers: UnsafePointer<UInt32>?, prompts: Int) {
            (stagedTokens + staged &* k).update(from: tokens, count: prompts &* k)
            if let answers { (stagedAnswers + staged).update(from: answers, count: prompts) }
            staged &+= prompts
        }

        mutating func add(_ tokens: UnsafePointer<UInt32>, answers: UnsafePointer<UInt32>?, prompts: Int,
                          into counts: UnsafeMutableBufferPointer<UInt64>) {
            pointwise = answers != nil
            var p = 0
            if staged > 0 {
                let take = min(16 &- staged, prompts)
                stage(tokens, answers: answers, prompts: take)
                p = take
                if staged == 16 {
                    count(stagedTokens, answers: answers == nil ? nil : stagedAnswers, lanes: 16, into: counts)
                    staged = 0
                }
            }
            while p &+ 16 <= prompts {
                count(tokens + p &* k, answers: answers.map { $0 + p }, lanes: 16, into: counts)
                p &+= 16
            }
            if p < prompts { stage(tokens + p &* k, answers: answers.map { $0 + p }, prompts: prompts &- p) }
        }

        /// Counts the staged prompts (fewer than 16).
        mutating func finish(into counts: UnsafeMutableBufferPointer<UInt64>) {
            guard staged > 0 else { return }
            for g in staged..<16 {
                (stagedTokens + g &* k).update(from: stagedTokens, count: k)
                if pointwise { stagedAnswers[g] = stagedAnswers[0] }
            }
            count(stagedTokens, answers: pointwise ? stagedAnswers : nil, lanes: staged, into: counts)
            staged = 0
        }
    }
}
