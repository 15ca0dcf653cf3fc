/// First and second moments of a vector of D per-sample integer counts,
/// kept exactly: sums in UInt64 per sample and UInt128 in total, so 10^13
/// samples of counts up to 2^16 neither overflow nor round.
///
/// A per-sample value that is affine in the counts, v = a + sum_c b_c n_c,
/// then has mean a + sum_c b_c mean(n_c) and variance b' Cov(n) b.
public struct CountMoments: SufficientStatistics, Equatable {
    public var samples: UInt64 = 0
    public var sums: [UInt128] = []
    /// Upper triangle of sum_samples n_c n_d, row-major (c <= d).
    public var products: [UInt128] = []

    public init() {}
    public init(dimensions: Int) {
        sums = [UInt128](repeating: 0, count: dimensions)
        products = [UInt128](repeating: 0, count: dimensions * (dimensions + 1) / 2)
    }

    public var dimensions: Int { sums.count }

    /// The five per-token counts (flips, n11, n10, n01, n00) of `samples`
    /// episodes of length T, from the sums and products of the first four
    /// (products in the order ff, f11, f10, f01, 11·11, 11·10, 11·01, 10·10,
    /// 10·01, 01·01), using n00 = T - n11 - n10 - n01. Wrapping 128-bit
    /// arithmetic is exact here: every final value is non-negative and far
    /// below 2^128.
    public init(fourCounts sums: SIMD4<UInt64>, products p: SIMD16<UInt64>, samples: UInt64, length t: UInt64) {
        self.init(dimensions: 5)
        self.samples = samples
        let n = UInt128(samples), tt = UInt128(t)
        let s = (0..<4).map { UInt128(sums[$0]) }
        let s00 = n &* tt &- s[1] &- s[2] &- s[3]
        self.sums = s + [s00]
        // Products of the first four counts as a symmetric lookup.
        let layout = [[0, 1, 2, 3], [1, 4, 5, 6], [2, 5, 7, 8], [3, 6, 8, 9]]
        func pair(_ a: Int, _ b: Int) -> UInt128 { UInt128(p[layout[a][b]]) }
        // sum_e n00 n_x = T S_x - sum n11 n_x - sum n10 n_x - sum n01 n_x.
        func withN00(_ x: Int) -> UInt128 { tt &* s[x] &- pair(1, x) &- pair(2, x) &- pair(3, x) }
        let rest = [withN00(1), withN00(2), withN00(3)]
        // sum n00^2 = T S00 - sum n00 (n11 + n10 + n01).
        let n00n00 = tt &* s00 &- rest[0] &- rest[1] &- rest[2]
        var k = 0
        for c in 0..<5 {
            for d in c..<5 {
                switch (c, d) {
                case (_, 4) where c < 4: self.products[k] = c == 0 ? withN00(0) : rest[c - 1]
                case (4, 4): self.products[k] = n00n00
                default: self.products[k] = pair(c, d)
                }
                k += 1
            }
        }
    }

    /// Adds one sample's counts.
    @inlinable @inline(__always)
    public mutating func add(_ counts: UnsafePointer<UInt64>) {
        samples += 1
        var k = 0
        for c in 0..<sums.count {
            let nc = counts[c]
            sums[c] &+= UInt128(nc)
            for d in c..<sums.count {
                products[k] &+= UInt128(nc &* counts[d])
                k += 1
            }
        }
    }

    public mutating func merge(_ next: CountMoments) {
        if sums.isEmpty { self = next; return }
        if next.sums.isEmpty { return }
        precondition(sums.count == next.sums.count)
        samples += next.samples
        for i in sums.indices { sums[i] &+= next.sums[i] }
        for i in products.indices { products[i] &+= next.products[i] }
    }

    /// Mean of n_c.
    public func mean(_ c: Int) -> Double { Double(sums[c]) / Double(samples) }

    /// Unbiased covariance of n_c and n_d, from exact integer numerators
    /// N S_cd - S_c S_d (at most 2^120 for N <= 2^44 and counts <= 2^16).
    public func covariance(_ c: Int, _ d: Int) -> Double {
        guard samples > 1 else { return 0 }
        let (i, j) = c <= d ? (c, d) : (d, c)
        let index = i * dimensions - i * (i - 1) / 2 + (j - i)
        let n = UInt128(samples)
        let a = n &* products[index]
        let b = sums[i] &* sums[j]
        let numerator = a >= b ? Double(a - b) : -Double(b - a)
        return numerator / (Double(samples) * Double(samples - 1))
    }

    /// Mean and variance of a + sum_c b_c n_c.
    public func affineMoments(offset: Double, coefficients b: [Double]) -> (mean: Double, variance: Double) {
        precondition(b.count == dimensions)
        var mean = CompensatedSum()
        mean.add(offset)
        for c in 0..<dimensions where b[c] != 0 { mean.add(b[c] * self.mean(c)) }
        var variance = CompensatedSum()
        for c in 0..<dimensions where b[c] != 0 {
            for d in 0..<dimensions where b[d] != 0 {
                variance.add(b[c] * b[d] * covariance(c, d))
            }
        }
        return (mean.value, max(0, variance.value))
    }
}

extension CountMoments {
    public func encode(into writer: inout BinaryWriter) {
        writer.write(samples)
        writer.write(sums)
        writer.write(products)
    }
    public init(from reader: inout BinaryReader) throws {
        samples = try reader.readUInt64()
        sums = try reader.readUInt128Array()
        products = try reader.readUInt128Array()
        guard products.count == sums.count * (sums.count + 1) / 2 else { throw BinaryReader.corrupt }
    }
}
