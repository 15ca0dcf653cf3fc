import Foundation

/// The information-theoretic building blocks of DESIGN.md section 1, in bits,
/// written to stay accurate at the extremes (p near 0 or 1, V up to 2^32).
public enum Information {
    /// phi(x) = -x log2 x, with phi(0) = 0.
    @inlinable
    public static func phi(_ x: Double) -> Double {
        x > 0 ? -x * log2(x) : 0
    }

    /// psi(Q) = phi(1 - Q), computed with log1p so small Q keeps its digits.
    @inlinable
    public static func psi(_ mass: Double) -> Double {
        guard mass > 0 else { return 0 }
        guard mass < 1 else { return 0 }
        return -(1 - mass) * log1p(-mass) / M_LN2
    }

    /// Binary entropy h(p) = phi(p) + phi(1 - p); 0 outside (0, 1).
    @inlinable
    public static func binaryEntropy(_ p: Double) -> Double {
        guard p > 0, p < 1 else { return 0 }
        return phi(p) + psi(p)
    }

    /// a (*) b = a(1 - b) + (1 - a)b: the probability that a Bernoulli(a) bit
    /// flipped by an independent Bernoulli(b) bit is 1.
    @inlinable
    public static func flip(_ a: Double, _ b: Double) -> Double {
        a * (1 - b) + (1 - a) * b
    }

    /// -log2(1 - x) accurately for small x.
    @inlinable
    public static func minusLog2OneMinus(_ x: Double) -> Double {
        -log1p(-x) / M_LN2
    }

    /// Entropy in bits of a probability vector.
    public static func entropy(_ probabilities: [Double]) -> Double {
        var total = CompensatedSum()
        for p in probabilities { total.add(phi(p)) }
        return total.value
    }
}
