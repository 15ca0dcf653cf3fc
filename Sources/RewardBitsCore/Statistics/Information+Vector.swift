import Foundation

extension Information {
    /// psi(Q) = -(1 - Q) log2(1 - Q) for eight masses at once: the group
    /// kernel for a non-uniform prior needs one per prompt, and glibc's scalar
    /// log1p was a sixth of that kernel's time.
    ///
    /// Same conventions as the scalar `psi`: 0 where Q <= 0, Q >= 1 or Q is
    /// NaN. Elsewhere within 8 ulps of the exact value (`InformationVectorTests`
    /// measures the worst case): `naturalLog` is fdlibm's, under 1 ulp, and
    /// `log1pMinus` adds a few roundings. Only plain multiplies, adds and
    /// divides, never a fused multiply-add, so every kernel copy (portable,
    /// AVX2, AVX-512) gets the same bits.
    @inlinable @inline(__always)
    public static func psi(_ mass: SIMD8<Double>) -> SIMD8<Double> {
        let inside = (mass .> 0) .& (mass .< 1)
        let value = -(1 - mass) * log1pMinus(mass) / M_LN2
        return SIMD8(repeating: 0).replacing(with: value, where: inside)
    }

    /// ln(1 - x) for x in (0, 1), keeping the digits of small x.
    ///
    /// Goldberg's rewriting: with u = fl(1 - x), ln(1 - x) = ln(u) x / (1 - u)
    /// to a few ulps, because the ratio cancels the rounding of u (1 - u is
    /// exact for u in [1/2, 2] by Sterbenz's lemma; for x >= 1/2, u itself is
    /// exact and the ratio is 1). Where u rounds to 1 the answer is -x.
    @inlinable @inline(__always)
    public static func log1pMinus(_ x: SIMD8<Double>) -> SIMD8<Double> {
        let u = 1 - x
        let ratio = x / (1 - u)
        return (-x).replacing(with: naturalLog(u) * ratio, where: u .!= 1)
    }

    /// ln(u) for positive normal u (other inputs give unspecified values,
    /// without a trap): fdlibm's e_log.c method, vectorised.
    ///
    /// u = 2^k m with m in [sqrt(2)/2, sqrt(2)); f = m - 1, s = f / (2 + f);
    /// ln(m) = f - (f^2/2 - s (f^2/2 + R(s^2))) with fdlibm's minimax R, and
    /// k ln 2 is added in two parts (ln2Hi has trailing zero bits, so k ln2Hi
    /// is exact for |k| < 2^11).
    @inlinable @inline(__always)
    public static func naturalLog(_ u: SIMD8<Double>) -> SIMD8<Double> {
        let ln2Hi = 6.93147180369123816490e-01
        let ln2Lo = 1.90821492927058770002e-10
        let lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01
        let lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01
        let lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01
        let lg7 = 1.479819860511658591e-01
        let bits = unsafeBitCast(u, to: SIMD8<UInt64>.self)
        var exponent = SIMD8<Int64>(truncatingIfNeeded: bits &>> 52) &- 1023
        var m = unsafeBitCast((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000, to: SIMD8<Double>.self)
        let high = m .> 1.4142135623730951
        m.replace(with: m * 0.5, where: high)
        exponent.replace(with: exponent &+ 1, where: high)
        let f = m - 1
        let s = f / (2 + f)
        let z = s * s, w = z * z
        let odd = w * (lg2 + w * (lg4 + w * lg6))
        let even = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
        let r = even + odd
        let halfSquare = 0.5 * f * f
        let k = SIMD8<Double>(exponent)
        return k * ln2Hi - ((halfSquare - (s * (halfSquare + r) + k * ln2Lo)) - f)
    }
}
