import CBitOps

/// The Philox4x32-10 counter-based block function (Salmon et al., SC'11;
/// the Random123 library), in a scalar reference form and a 16-lane SIMD form.
///
/// A block function maps a 128-bit counter and a 64-bit key to 128 random
/// bits with no state: the stream of block b under seed s is simply the
/// function evaluated at successive counters, which is what makes streams
/// independent of how work is spread over threads.
public enum Philox4x32 {
    public typealias Counter = (UInt32, UInt32, UInt32, UInt32)
    public typealias Key = (UInt32, UInt32)

    @usableFromInline static let multiplier0: UInt32 = 0xD251_1F53
    @usableFromInline static let multiplier1: UInt32 = 0xCD9E_8D57
    @usableFromInline static let weyl0: UInt32 = 0x9E37_79B9
    @usableFromInline static let weyl1: UInt32 = 0xBB67_AE85
    public static let rounds = 10

    /// The scalar reference: ten rounds, the key bumped by the Weyl constants
    /// between rounds. Checked against the Random123 known-answer vectors.
    public static func block(counter: Counter, key: Key) -> Counter {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<rounds {
            if round > 0 {
                k0 &+= weyl0
                k1 &+= weyl1
            }
            let product0 = UInt64(multiplier0) &* UInt64(c0)
            let product1 = UInt64(multiplier1) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: product0 >> 32)
            let lo0 = UInt32(truncatingIfNeeded: product0)
            let hi1 = UInt32(truncatingIfNeeded: product1 >> 32)
            let lo1 = UInt32(truncatingIfNeeded: product1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }

    /// Lane-wise 32x32 -> 64-bit products, split into high and low halves.
    ///
    /// Reinterpreting the lanes as 64-bit pairs lets the even and odd lanes be
    /// multiplied with the unsigned 32x32->64 instruction (vpmuludq); the
    /// halves are then recombined with shifts and masks.
    @inlinable @inline(__always)
    static func multiplyHighLow(_ a: SIMD16<UInt32>, _ m: UInt32) -> (high: SIMD16<UInt32>, low: SIMD16<UInt32>) {
        let pairs = unsafeBitCast(a, to: SIMD8<UInt64>.self)
        let lowMask = SIMD8<UInt64>(repeating: 0xFFFF_FFFF)
        let factor = SIMD8<UInt64>(repeating: UInt64(m))
        let even = (pairs & lowMask) &* factor
        let odd = (pairs &>> 32) &* factor
        let high = (even &>> 32) | (odd & ~lowMask)
        let low = (even & lowMask) | (odd &<< 32)
        return (unsafeBitCast(high, to: SIMD16<UInt32>.self), unsafeBitCast(low, to: SIMD16<UInt32>.self))
    }

    public typealias Lanes16x4 = (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>)

    /// The state after the first two rounds for the 16 counters
    /// (c0 + j, c1, c2, c3), j = 0..<16, with c1, c2 and c3 the same in every
    /// lane, as a stream's counters are. Round 1 multiplies c2, the same in
    /// every lane, and its output c0 is then the same in every lane too, so
    /// round 2's other product is one scalar as well: two of those rounds'
    /// four vector products become scalar ones (a tenth of the twenty in ten
    /// rounds). The same bits as `block`.
    @inlinable @inline(__always)
    static func firstTwoRounds16(low c0: SIMD16<UInt32>, _ c1: UInt32, _ c2: UInt32, _ c3: UInt32, key: Key,
                                 wide: Bool) -> Lanes16x4 {
        @inline(__always) func halves(_ a: SIMD16<UInt32>, _ m: UInt32) -> (high: SIMD16<UInt32>, low: SIMD16<UInt32>) {
            wide ? (bitops_multiply_half(a, m, 1), bitops_multiply_half(a, m, 0)) : multiplyHighLow(a, m)
        }
        let first = UInt64(multiplier1) &* UInt64(c2)
        let (hi0, lo0) = halves(c0, multiplier0)
        // After round 1: (shared0, shared1, n2, n3).
        let shared0 = UInt32(truncatingIfNeeded: first >> 32) ^ c1 ^ key.0
        let shared1 = UInt32(truncatingIfNeeded: first)
        let n2 = hi0 ^ SIMD16(repeating: c3 ^ key.1)
        let n3 = lo0
        let k0 = key.0 &+ weyl0, k1 = key.1 &+ weyl1
        let second = UInt64(multiplier0) &* UInt64(shared0)
        let (hi1, lo1) = halves(n2, multiplier1)
        return (hi1 ^ SIMD16(repeating: shared1 ^ k0), lo1,
                n3 ^ SIMD16(repeating: UInt32(truncatingIfNeeded: second >> 32) ^ k1),
                SIMD16(repeating: UInt32(truncatingIfNeeded: second)))
    }

    /// Philox4x32-10 at the 64 counters (p + j, p_hi, c2, c3), j = 0..<64,
    /// for p a multiple of 16 (no carry inside a set of 16; p_hi the high half
    /// of each set's own start): set s holds counters 16s..16s+15, lane j of
    /// its four vectors being the block function's four output words. The
    /// four sets run interleaved on AVX2 and AVX-512, where `bitops_multiply_half`
    /// is a few instructions.
    @inlinable @inline(__always)
    public static func blocks64(position p: UInt64, c2: UInt32, c3: UInt32, key: Key)
        -> (Lanes16x4, Lanes16x4, Lanes16x4, Lanes16x4) {
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        @inline(__always) func start(_ q: UInt64) -> Lanes16x4 {
            firstTwoRounds16(low: SIMD16(repeating: UInt32(truncatingIfNeeded: q)) &+ lanes,
                             UInt32(truncatingIfNeeded: q >> 32), c2, c3, key: key, wide: true)
        }
        var a = start(p), b = start(p &+ 16), c = start(p &+ 32), d = start(p &+ 48)
        lastEightRounds16x4(&a, &b, &c, &d, key: key)
        return (a, b, c, d)
    }

    /// Philox4x32-10 at the 16 counters (p + j, p_hi, c2, c3), j = 0..<16, for
    /// p a multiple of 16: lane j of the four vectors holds the block
    /// function's four output words. The form for builds without a one-
    /// instruction 32-bit lane multiply (`multiplyHighLow`).
    @inlinable @inline(__always)
    public static func blocks16(position p: UInt64, c2: UInt32, c3: UInt32, key: Key) -> Lanes16x4 {
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var (c0, c1, c2, c3) = firstTwoRounds16(low: SIMD16(repeating: UInt32(truncatingIfNeeded: p)) &+ lanes,
                                                UInt32(truncatingIfNeeded: p >> 32), c2, c3, key: key, wide: false)
        var k0 = key.0 &+ weyl0, k1 = key.1 &+ weyl1
        for _ in 2..<rounds {
            k0 &+= weyl0
            k1 &+= weyl1
            let (hi0, lo0) = multiplyHighLow(c0, multiplier0)
            let (hi1, lo1) = multiplyHighLow(c2, multiplier1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ SIMD16(repeating: k0), lo1, hi0 ^ c3 ^ SIMD16(repeating: k1), lo0)
        }
        return (c0, c1, c2, c3)
    }

    /// One round on a set of 16 counters, both halves of each product from
    /// `bitops_multiply_half`: with AVX-512, two 32x32 -> 64-bit multiplies and
    /// permutes, because a lane-wise 32-bit low multiply is two uops on
    /// Intel cores (faster on an Emerald Rapids, even on a Zen 4;
    /// bench-results/canonical.md). Without SSE4.1 the 32-bit multiply is
    /// emulated and `blocks16` is faster.
    @inlinable @inline(__always)
    static func round16x4(_ s: inout (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>),
                          _ k0: SIMD16<UInt32>, _ k1: SIMD16<UInt32>) {
        s = (bitops_multiply_half(s.2, multiplier1, 1) ^ s.1 ^ k0, bitops_multiply_half(s.2, multiplier1, 0),
             bitops_multiply_half(s.0, multiplier0, 1) ^ s.3 ^ k1, bitops_multiply_half(s.0, multiplier0, 0))
    }

    /// Rounds 3 to 10 of four interleaved sets of counters.
    @inlinable @inline(__always)
    static func lastEightRounds16x4(
        _ a: inout (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>),
        _ b: inout (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>),
        _ c: inout (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>),
        _ d: inout (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>),
        key: Key
    ) {
        // Unrolled by hand: the four chains interleave only when every round
        // is visible to the scheduler at once.
        var k0 = key.0 &+ weyl0 &+ weyl0, k1 = key.1 &+ weyl1 &+ weyl1
        var v0 = SIMD16<UInt32>(repeating: k0), v1 = SIMD16<UInt32>(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
        k0 &+= weyl0; k1 &+= weyl1; v0 = SIMD16(repeating: k0); v1 = SIMD16(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
        k0 &+= weyl0; k1 &+= weyl1; v0 = SIMD16(repeating: k0); v1 = SIMD16(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
        k0 &+= weyl0; k1 &+= weyl1; v0 = SIMD16(repeating: k0); v1 = SIMD16(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
        k0 &+= weyl0; k1 &+= weyl1; v0 = SIMD16(repeating: k0); v1 = SIMD16(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
        k0 &+= weyl0; k1 &+= weyl1; v0 = SIMD16(repeating: k0); v1 = SIMD16(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
        k0 &+= weyl0; k1 &+= weyl1; v0 = SIMD16(repeating: k0); v1 = SIMD16(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
        k0 &+= weyl0; k1 &+= weyl1; v0 = SIMD16(repeating: k0); v1 = SIMD16(repeating: k1)
        round16x4(&a, v0, v1); round16x4(&b, v0, v1); round16x4(&c, v0, v1); round16x4(&d, v0, v1)
    }
}
