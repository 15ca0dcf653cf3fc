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
    /// The same digits as all-ones or all-zeros 32-bit masks, for
    /// branch-free rounds.
    @usableFromInline let digitMasks: [UInt32]
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
        digitMasks = digits.map { $0 ? UInt32.max : 0 }
    }

    /// Rounds drawn before the first check for undecided lanes (256 lanes
    /// need about 9.3 rounds on average; checking every round costs more in
    /// branches than the rare extra round costs in random words).
    @usableFromInline static let uncheckedRounds = 8

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
                let u = source.next64()
                let d = UInt64(masks[k]) | (UInt64(masks[k]) << 32)
                result |= undecided & d & ~u
                undecided &= ~(u ^ d)
                k += 1
            }
            while k < count && undecided != 0 {
                let u = source.next64()
                let d = UInt64(masks[k]) | (UInt64(masks[k]) << 32)
                result |= undecided & d & ~u
                undecided &= ~(u ^ d)
                k += 1
            }
        }
        return result
    }

    /// Bernoulli(p) bits in the lanes of `live` (256 at a time), zeros
    /// elsewhere: the same digit-by-digit comparison, each digit of all 256
    /// lanes drawn as one 8-word vector. A round keeps undecided the lanes
    /// whose random bit equals the digit, and decides 1 where the digit is 1
    /// and the bit is 0. The first `uncheckedRounds` rounds run without a
    /// test; then rounds continue until no live lane is undecided.
    @inlinable @inline(__always)
    public func words4<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>, live: SIMD4<UInt64>) -> SIMD4<UInt64> {
        if always { return live }
        var undecided = unsafeBitCast(live, to: SIMD8<UInt32>.self)
        var result = SIMD8<UInt32>()
        digitMasks.withUnsafeBufferPointer { masks in
            let count = masks.count
            var k = 0
            while k < count && k < Self.uncheckedRounds {
                let u = source.nextHalfVector()
                let d = SIMD8<UInt32>(repeating: masks[k])
                result |= undecided & d & ~u
                undecided &= ~(u ^ d)
                k += 1
            }
            while k < count && Self.anyBitSet(undecided) {
                let u = source.nextHalfVector()
                let d = SIMD8<UInt32>(repeating: masks[k])
                result |= undecided & d & ~u
                undecided &= ~(u ^ d)
                k += 1
            }
        }
        return unsafeBitCast(result, to: SIMD4<UInt64>.self)
    }

    /// Whether any bit of `v` is set. Swift's SIMD `==` and `!=` compile to
    /// a lane-by-lane loop through memory; four 64-bit ORs do not.
    @inlinable @inline(__always)
    static func anyBitSet(_ v: SIMD8<UInt32>) -> Bool {
        let q = unsafeBitCast(v, to: (UInt64, UInt64, UInt64, UInt64).self)
        return (q.0 | q.1 | q.2 | q.3) != 0
    }
}
