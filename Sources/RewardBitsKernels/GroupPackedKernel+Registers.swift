import Foundation
import RewardBitsCore
import CBitOps

extension GroupPackedKernel {
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
    /// How the AVX-512 copy counts a group's distinct tokens
    /// (`KernelChoices.groupDistinct`): conflict detection (K <= 64; six
    /// `vpconflictd` per prompt for K <= 32, 28 for K <= 64, so larger groups
    /// keep the stamps), a bitonic sorting network over 16-bit lanes (K <= 32,
    /// two prompts at a time, `bitops_distinct_tokens_pair`; min, max and
    /// permutes, single-uop instructions on Intel cores where `vpconflictd` is
    /// microcoded) or the stamps. All three give the same counts. The kernels
    /// for other priors and policies use conflict detection where this says
    /// so, and their stamps or hash set otherwise (the sorting network gives
    /// counts, not which lanes are first occurrences).
    static var distinctCounting: KernelChoices.GroupDistinct { KernelChoices.groupDistinct }

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
                let pair = bitops_distinct_tokens_pair(group, group + k, lanes.first, lanes.second)
                count(prompt, Int(pair & 0xFF))
                count(prompt &+ 1, Int(pair >> 8))
                prompt &+= 2
            }
        }
        while prompt < batch {
            let group = tokens + prompt &* k
            count(prompt, sorting ? Int(bitops_distinct_tokens(group, lanes.first, lanes.second)) : distinct(group, lanes))
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
        let lowOfLater = bitops_lanes_repeating(SIMD16(lowHalf: earlier.lowHalf, highHalf: later.lowHalf), low)
            | bitops_lanes_repeating(SIMD16(lowHalf: earlier.highHalf, highHalf: later.lowHalf), high)
        let highOfLater = bitops_lanes_repeating(SIMD16(lowHalf: earlier.lowHalf, highHalf: later.highHalf), low)
            | bitops_lanes_repeating(SIMD16(lowHalf: earlier.highHalf, highHalf: later.highHalf), high)
        return (lowOfLater &>> 8) | (highOfLater & 0xFF00)
    }

    /// The lanes holding a token's first occurrence in a group of K <= 64
    /// (bit i: token i), found as in `distinct`.
    @inline(__always)
    static func freshLanes(_ group: UnsafePointer<UInt32>, _ lanes: VectorLanes) -> UInt64 {
        let raw = UnsafeRawPointer(group)
        let a = raw.loadUnaligned(as: SIMD16<UInt32>.self)
        let freshA = lanes.first & ~bitops_lanes_repeating(a, lanes.first)
        // K <= 16: one conflict detection, not the six of two vectors.
        if lanes.second == 0 { return UInt64(freshA) }
        let b = raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt32>.self)
        let freshB = lanes.second & ~(bitops_lanes_repeating(b, lanes.second) | repeatsOfEarlier(a, lanes.first, in: b))
        var fresh = UInt64(freshA) | UInt64(freshB) &<< 16
        if lanes.third != 0 {
            let c = raw.loadUnaligned(fromByteOffset: 128, as: SIMD16<UInt32>.self)
            let freshC = lanes.third & ~(bitops_lanes_repeating(c, lanes.third) | repeatsOfEarlier(a, lanes.first, in: c)
                                         | repeatsOfEarlier(b, lanes.second, in: c))
            fresh |= UInt64(freshC) &<< 32
            if lanes.fourth != 0 {
                let d = raw.loadUnaligned(fromByteOffset: 192, as: SIMD16<UInt32>.self)
                let freshD = lanes.fourth & ~(bitops_lanes_repeating(d, lanes.fourth) | repeatsOfEarlier(a, lanes.first, in: d)
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
        var hits = bitops_lanes_equal(raw.loadUnaligned(as: SIMD16<UInt32>.self), t) & lanes.first
        // K <= 16: one vector.
        if lanes.second == 0 { return hits != 0 }
        hits |= bitops_lanes_equal(raw.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt32>.self), t) & lanes.second
        if lanes.third != 0 {
            hits |= bitops_lanes_equal(raw.loadUnaligned(fromByteOffset: 128, as: SIMD16<UInt32>.self), t) & lanes.third
                | bitops_lanes_equal(raw.loadUnaligned(fromByteOffset: 192, as: SIMD16<UInt32>.self), t) & lanes.fourth
        }
        return hits != 0
    }
    #endif
}
