/// The occupancy distribution: the number M of distinct symbols among K
/// uniform draws from V symbols.
public enum Occupancy {
    /// P(M = m) for m = 0...K, by the recursion
    /// P_{k+1}(m) = P_k(m) m/V + P_k(m-1) (V-m+1)/V, P_0(0) = 1.
    /// O(K min(K, V)) time; all terms are non-negative, so nothing cancels.
    public static func distribution(vocabularySize: UInt64, draws: Int) -> [Double] {
        let v = Double(vocabularySize)
        let cap = Int(min(UInt64(draws), vocabularySize))
        var p = [Double](repeating: 0, count: draws + 1)
        p[0] = 1
        if draws == 0 { return p }
        for k in 0..<draws {
            let top = min(k + 1, cap)
            var m = top
            while m >= 1 {
                let stay = p[m] * (Double(m) / v)
                let arrive = p[m - 1] * ((v - Double(m) + 1) / v)
                p[m] = stay + arrive
                m -= 1
            }
            p[0] = 0
        }
        return p
    }
}
