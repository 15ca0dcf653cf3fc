import Foundation
import RewardBitsCore

/// The set of distinct tokens of one group of rollouts, reused prompt after
/// prompt. Owned by one kernel invocation: create, use, `release()`.
protocol DistinctSet {
    init(vocabularySize: UInt64, groupSize: Int)
    /// Adds `token`; true when it was not in the set yet.
    mutating func insert(_ token: UInt32) -> Bool
    func contains(_ token: UInt32) -> Bool
    /// Empties the set, given the tokens that were inserted.
    mutating func reset(_ tokens: UnsafePointer<UInt32>, count: Int)
    func release()
}

/// A V-bit bitmap (V <= 2^16: at most 8 KiB, cache resident); cleared by
/// zeroing only the words the group touched.
struct BitmapDistinctSet: DistinctSet {
    let words: UnsafeMutablePointer<UInt64>

    static let maximumVocabulary: UInt64 = 1 << 16

    init(vocabularySize: UInt64, groupSize: Int) {
        let count = Int((vocabularySize + 63) / 64)
        words = .allocate(capacity: count)
        words.initialize(repeating: 0, count: count)
    }

    @inline(__always)
    mutating func insert(_ token: UInt32) -> Bool {
        let index = Int(token &>> 6)
        let bit = UInt64(1) &<< UInt64(token & 63)
        let old = words[index]
        words[index] = old | bit
        return old & bit == 0
    }

    @inline(__always)
    func contains(_ token: UInt32) -> Bool {
        words[Int(token >> 6)] & (UInt64(1) << UInt64(token & 63)) != 0
    }

    @inline(__always)
    mutating func reset(_ tokens: UnsafePointer<UInt32>, count: Int) {
        for i in 0..<count { words[Int(tokens[i] >> 6)] = 0 }
    }

    func release() { words.deallocate() }
}

/// Open addressing over a table of at least 4K slots, each slot stamped with
/// the prompt that wrote it, so a reset is one increment.
struct HashedDistinctSet: DistinctSet {
    let keys: UnsafeMutablePointer<UInt32>
    let stamps: UnsafeMutablePointer<UInt32>
    let mask: Int
    let shift: UInt32
    var stamp: UInt32 = 1

    init(vocabularySize: UInt64, groupSize: Int) {
        var bits = 6
        while (1 << bits) < 4 * groupSize { bits += 1 }
        let capacity = 1 << bits
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        stamps = .allocate(capacity: capacity)
        stamps.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
        shift = UInt32(32 - bits)
    }

    @inline(__always)
    func slot(_ token: UInt32) -> Int { Int((token &* 0x9E37_79B1) >> shift) }

    @inline(__always)
    mutating func insert(_ token: UInt32) -> Bool {
        var i = slot(token)
        while stamps[i] == stamp {
            if keys[i] == token { return false }
            i = (i + 1) & mask
        }
        stamps[i] = stamp
        keys[i] = token
        return true
    }

    @inline(__always)
    func contains(_ token: UInt32) -> Bool {
        var i = slot(token)
        while stamps[i] == stamp {
            if keys[i] == token { return true }
            i = (i + 1) & mask
        }
        return false
    }

    @inline(__always)
    mutating func reset(_ tokens: UnsafePointer<UInt32>, count: Int) {
        stamp &+= 1
        if stamp == 0 {
            stamps.update(repeating: 0, count: mask + 1)
            stamp = 1
        }
    }

    func release() {
        keys.deallocate()
        stamps.deallocate()
    }
}
