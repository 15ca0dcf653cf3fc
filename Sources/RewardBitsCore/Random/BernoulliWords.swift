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
    }

    /// The next 64 Bernoulli(p) bits.
    @inlinable @inline(__always)
    public func word<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>) -> UInt64 {
        if always { return UInt64.max }
        var undecided = UInt64.max
        var result: UInt64 = 0
        return digits.withUnsafeBufferPointer { digits in
            for digit in digits {
                let u = source.next64()
                if digit {
                    result |= undecided & ~u
                    undecided &= u
                } else {
                    undecided &= ~u
                }
                if undecided == 0 { break }
            }
            return result
        }
    }
}
