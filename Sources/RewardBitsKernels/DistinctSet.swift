import Foundation
import RewardBitsCore
import CBitOps

/// The set of distinct tokens of one group of rollouts, reused prompt after
/// prompt. Owned by one kernel invocation: create, use, `release()`.
protocol DistinctSet {
    init(vocabularySize: UInt64, groupSize: Int)
    /// Adds `token`; true when it was not in the set yet.
    mutating func insert(_ token: UInt32) -> Bool
    func contains(_ token: UInt32) -> Bool
    /// Adds `tokens[0..<count]`; the number that were not in the set yet.
    mutating func insert(_ tokens: UnsafePointer<UInt32>, count: Int) -> Int
    /// Empties the set, given the tokens that were inserted.
    mutating func reset(_ tokens: UnsafePointer<UInt32>, count: Int)
    func release()
}

extension DistinctSet {
    /// One insert at a time: the hash set's probes branch anyway, and a
    /// branch-free count was slower there (bench-results/canonical.md).
    @inline(__always)
    mutating func insert(_ tokens: UnsafePointer<UInt32>, count: Int) -> Int {
        var fresh = 0
        for i in 0..<count where insert(tokens[i]) { fresh += 1 }
        return fresh
    }
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

/// A stamp per symbol (V <= 2^16): the number of the group that last saw it.
/// A reset is one increment (the stamps are cleared when it wraps), so a
/// group costs one load, compare and store per token and nothing after. It
/// beat a V-bit bitmap cleared word by word after each group, though the
/// stamps (up to 128 KiB) do not stay in L1 as the bitmap (8 KiB) did
/// (bench-results/canonical.md).
struct StampedDistinctSet: DistinctSet {
    let stamps: UnsafeMutablePointer<UInt16>
    let count: Int
    var stamp: UInt16 = 1

    static let maximumVocabulary: UInt64 = 1 << 16

    init(vocabularySize: UInt64, groupSize: Int) {
        count = Int(vocabularySize)
        stamps = .allocate(capacity: count)
        stamps.initialize(repeating: 0, count: count)
    }

    @inline(__always)
    mutating func insert(_ token: UInt32) -> Bool {
        let fresh = stamps[Int(token)] != stamp
        stamps[Int(token)] = stamp
        return fresh
    }

    @inline(__always)
    func contains(_ token: UInt32) -> Bool { stamps[Int(token)] == stamp }

    /// Without a branch per token (`bitops_stamp_tokens`): the compiler turned
    /// the generic loop's count into one, and with a concentrated policy
    /// repeats are common and unpredictable.
    @inline(__always)
    mutating func insert(_ tokens: UnsafePointer<UInt32>, count: Int) -> Int {
        Int(bitops_stamp_tokens(stamps, tokens, Int32(count), stamp))
    }

    @inline(__always)
    mutating func reset(_ tokens: UnsafePointer<UInt32>, count: Int) {
        if stamp == UInt16.max {
            stamps.update(repeating: 0, count: self.count)
            stamp = 0
        }
        stamp &+= 1
    }

    func release() { stamps.deallocate() }
}
