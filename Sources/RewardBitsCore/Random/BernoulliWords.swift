import CBitOps

/// Sixty-four independent Bernoulli(p) bits at a time, exact for the given
/// double p (no quantisation of p).
///
/// Each lane compares an infinite uniform binary fraction U = 0.u1u2u3... with
/// the binary expansion of p, digit by digit, and the lane's bit is 1{U < p}.
/// Lanes are processed bit-sliced: one random 64-bit word supplies digit k of
/// all 64 lanes' U at once. A lane is decided at the first digit where U and p
/// differ; lanes still undecided after p's last non-zero digit have U > p
/// (equality has probability zero). The expected number of words per call is
/// about log2(64) + 1.3, whatever p is.
public struct BernoulliWords: Sendable, Hashable {
    public let probability: Double
    /// Binary digits 1, 2, ... of p, one per element (true for a 1).
    @usableFromInline let digits: [Bool]
    /// The same digits as all-ones or all-zeros 64-bit masks, for
    /// branch-free rounds (a vector round broadcasts the low 32 bits).
    @usableFromInline let digitMasks: [UInt64]
    @usableFromInline let always: Bool

    public init(probability p: Double) {
        precondition(p >= 0 && p <= 1 && !p.isNaN)
        probability = p
        always = p >= 1
        var digits: [Bool] = []
        if p > 0 && p < 1 {
            // p = significand * 2^exponent with an integer significand.
            let significand = p.significandBitPattern | (p.isNormal ? (1 << 52) : 0)
            let exponent = p.isNormal ? Int(p.exponent) - 52 : -1074
            // Digit k (weight 2^-k) is bit j = -k - exponent of the significand.
            let lastDigit = -exponent - significand.trailingZeroBitCount
            digits.reserveCapacity(lastDigit)
            for k in 1...lastDigit {
                let j = -k - exponent
                digits.append(j >= 0 && j <= 63 && (significand >> UInt64(j)) & 1 == 1)
            }
        }
        self.digits = digits
        digitMasks = digits.map { $0 ? UInt64.max : 0 }
    }

    /// The next 64 Bernoulli(p) bits: branch-free rounds (see `words4`),
    /// checked for undecided lanes after the first few.
    @inlinable @inline(__always)
    public func word<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>) -> UInt64 {
        if always { return UInt64.max }
        var undecided = UInt64.max
        var result: UInt64 = 0
        digitMasks.withUnsafeBufferPointer { masks in
            let count = masks.count
            var k = 0
            while k < count && k < 6 {
                Self.round(source.next64(), digit: masks[k], undecided: &undecided, ones: &result)
                k += 1
            }
            while k < count && undecided != 0 {
                Self.round(source.next64(), digit: masks[k], undecided: &undecided, ones: &result)
                k += 1
            }
        }
        return result
    }

    /// Vector rounds drawn for all 256 lanes before the undecided lanes are
    /// packed into one word. After round r about 256 / 2^r lanes are
    /// undecided, so three rounds leave about 32 (more than 64 has
    /// probability below 10^-9; then vector rounds go on).
    public static let vectorRounds = 3
    /// Packed rounds drawn without a test before the rounds that stop when
    /// no lane is left (stream format 4; 10 in format 3). A packed round
    /// decides each open lane with probability 1/2, so 32 lanes stay open
    /// past 8 rounds with probability about 0.12, and the test that ends
    /// the rounds is then a missed branch; each round saved is two random
    /// words. Eight was the fastest of 6, 7, 8 and 10 on the token workload
    /// (bench-results/canonical.md).
    @usableFromInline static let uncheckedPackedRounds = 8

    /// Bernoulli(p) bits in the lanes of `live` (256 at a time), zeros
    /// elsewhere: the same digit-by-digit comparison, in two phases.
    ///
    /// First, vector rounds: digit k of all 256 lanes is one 8-word vector;
    /// a round keeps undecided the lanes whose random bit equals the digit
    /// and decides 1 where the digit is 1 and the bit is 0. Every undecided
    /// lane has matched the same digits 1..k, so the n lanes still undecided
    /// after `vectorRounds` rounds are exchangeable: each will end up 1 with
    /// the same probability, independently. They are finished as n packed
    /// lanes of one 64-bit word (one 64-bit random word per digit instead of
    /// eight), and packed lane i becomes the i-th undecided lane (counting
    /// up from bit 0 of word 0). This draws about 37 words per call instead
    /// of about 74 for vector rounds to the end.
    @inlinable @inline(__always)
    public func words4<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>, live: SIMD4<UInt64>,
                                                    deposit: BitDeposit = .instruction) -> SIMD4<UInt64> {
        if always { return live }
        var undecided = unsafeBitCast(live, to: SIMD8<UInt32>.self)
        var result = SIMD8<UInt32>()
        return digitMasks.withUnsafeBufferPointer { masks in
            var k = 0
            while k < masks.count && k < Self.vectorRounds {
                Self.round(source.nextHalfVector(), digit: SIMD8(repeating: UInt32(truncatingIfNeeded: masks[k])),
                           undecided: &undecided, ones: &result)
                k += 1
            }
            return Self.finish(&source, masks: masks, from: k, undecided: undecided, ones: result, deposit: deposit)
        }
    }

    /// Whether the first `vectorRounds` rounds of `words4` always draw a
    /// vector each (p has at least that many binary digits and is below 1),
    /// so that a caller may hand them over with
    /// `words4(_:live:firstRounds:)`.
    @inlinable public var drawsFullVectorRounds: Bool { !always && digitMasks.count >= Self.vectorRounds }

    /// `words4` with the vectors of its first `vectorRounds` rounds already
    /// taken from the stream (`WordSource.contiguousHalfVectors`) and lying
    /// at `first`, 32 bytes each: the same bits from the same words, with
    /// no reader bookkeeping per round. Only where `drawsFullVectorRounds`.
    @inlinable @inline(__always)
    public func words4<S: RandomStream & ~Copyable>(
        _ source: inout WordSource<S>, live: SIMD4<UInt64>, firstRounds first: UnsafeRawPointer,
        deposit: BitDeposit = .instruction
    ) -> SIMD4<UInt64> {
        assert(drawsFullVectorRounds, "words4(_:live:firstRounds:) needs vectorRounds digits of p")
        var undecided = unsafeBitCast(live, to: SIMD8<UInt32>.self)
        var result = SIMD8<UInt32>()
        return digitMasks.withUnsafeBufferPointer { masks in
            for k in 0..<Self.vectorRounds {
                let u = first.loadUnaligned(fromByteOffset: 32 &* k, as: SIMD8<UInt32>.self)
                Self.round(u, digit: SIMD8(repeating: UInt32(truncatingIfNeeded: masks[k])), undecided: &undecided, ones: &result)
            }
            return Self.finish(&source, masks: masks, from: Self.vectorRounds, undecided: undecided, ones: result,
                               deposit: deposit)
        }
    }

    /// The rest of `words4` after its first `k` vector rounds: vector rounds
    /// while more than 64 lanes are undecided, then packed rounds.
    @inlinable @inline(__always)
    static func finish<S: RandomStream & ~Copyable>(
        _ source: inout WordSource<S>, masks: UnsafeBufferPointer<UInt64>, from start: Int,
        undecided lanesUndecided: SIMD8<UInt32>, ones lanesOnes: SIMD8<UInt32>, deposit: BitDeposit
    ) -> SIMD4<UInt64> {
        let count = masks.count
        var k = start
        var undecided = lanesUndecided
        var result = lanesOnes
        var pending = Self.ones(undecided)
        while k < count && pending > 64 {
            Self.round(source.nextHalfVector(), digit: SIMD8(repeating: UInt32(truncatingIfNeeded: masks[k])), undecided: &undecided, ones: &result)
            k += 1
            pending = Self.ones(undecided)
        }
        var lanes = unsafeBitCast(result, to: SIMD4<UInt64>.self)
        if pending == 0 || k == count { return lanes }
        // Packed rounds over `pending` lanes: `uncheckedPackedRounds`
        // without a test (32 lanes need about 6.3 rounds on average), then
        // until none is undecided.
        var open = pending == 64 ? UInt64.max : (UInt64(1) << UInt64(pending)) &- 1
        var packed: UInt64 = 0
        let unchecked = Swift.min(Self.uncheckedPackedRounds, count &- k)
        if let words = source.contiguous64(unchecked) {
            for r in 0..<unchecked {
                let u = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: 8 &* r, as: UInt64.self))
                Self.round(u, digit: masks[k], undecided: &open, ones: &packed)
                k += 1
            }
        } else {
            for _ in 0..<unchecked {
                Self.round(source.next64(), digit: masks[k], undecided: &open, ones: &packed)
                k += 1
            }
        }
        while k < count && open != 0 {
            Self.round(source.next64(), digit: masks[k], undecided: &open, ones: &packed)
            k += 1
        }
        // Packed lane i goes to the i-th undecided lane: word w takes the
        // packed bits after those of words 0..<w (a shift by 64 only
        // happens when word w has no undecided lane, and then deposits
        // nothing).
        let slots = unsafeBitCast(undecided, to: SIMD4<UInt64>.self)
        let before1 = UInt64(slots[0].nonzeroBitCount)
        let before2 = before1 &+ UInt64(slots[1].nonzeroBitCount)
        let before3 = before2 &+ UInt64(slots[2].nonzeroBitCount)
        if deposit == .lanes {
            return lanes | bitops_deposit_bits_by_lanes(packed, SIMD4(0, before1, before2, before3), slots)
        }
        lanes[0] |= bitops_deposit_bits(packed, slots[0])
        lanes[1] |= bitops_deposit_bits(packed &>> before1, slots[1])
        lanes[2] |= bitops_deposit_bits(packed &>> before2, slots[2])
        lanes[3] |= bitops_deposit_bits(packed &>> before3, slots[3])
        return lanes
    }

    /// One digit of the comparison, bit-sliced: the undecided lanes whose
    /// random bit differs from the digit are decided, as 1 where the digit
    /// is 1 (the bit is 0, so U < p) and 0 where it is 0. (Concrete vector
    /// types: generic SIMD code compiles to lane-by-lane loops.)
    @inlinable @inline(__always)
    static func round(_ u: SIMD8<UInt32>, digit d: SIMD8<UInt32>, undecided: inout SIMD8<UInt32>, ones: inout SIMD8<UInt32>) {
        ones |= undecided & d & ~u
        undecided &= ~(u ^ d)
    }

    @inlinable @inline(__always)
    static func round(_ u: UInt64, digit d: UInt64, undecided: inout UInt64, ones: inout UInt64) {
        ones |= undecided & d & ~u
        undecided &= ~(u ^ d)
    }

    /// The number of set bits in `v`.
    @inlinable @inline(__always)
    static func ones(_ v: SIMD8<UInt32>) -> Int {
        let q = unsafeBitCast(v, to: (UInt64, UInt64, UInt64, UInt64).self)
        return q.0.nonzeroBitCount &+ q.1.nonzeroBitCount &+ q.2.nonzeroBitCount &+ q.3.nonzeroBitCount
    }

    /// Whether any bit of `v` is set. Swift's SIMD `==` and `!=` compile to
    /// a lane-by-lane loop through memory; four 64-bit ORs do not.
    @inlinable @inline(__always)
    static func anyBitSet(_ v: SIMD8<UInt32>) -> Bool {
        let q = unsafeBitCast(v, to: (UInt64, UInt64, UInt64, UInt64).self)
        return (q.0 | q.1 | q.2 | q.3) != 0
    }
}
