/// The moments of several per-sample values reported together (the
/// components of the gradient channel, a learner's curve), each split into
/// the interval rule's strata, and the cross-products of chosen pairs for
/// ratios of their means.
public struct MomentsVector: SufficientStatistics, Equatable {
    public var parts: [StratifiedMoments] = []
    /// The pairs (a, b) whose cross-products are kept, flattened.
    public var pairs: [Int] = []
    /// Per pair, sum over samples of (x_a - center_a)(x_b - center_b).
    public var crossProducts: [CompensatedSum] = []

    public init() {}

    public init(centers: [Double], pairs: [(Int, Int)] = []) {
        parts = centers.map { StratifiedMoments(center: $0) }
        self.pairs = pairs.flatMap { [$0.0, $0.1] }
        crossProducts = [CompensatedSum](repeating: CompensatedSum(), count: pairs.count)
    }

    /// Adds one sample's values (`rare[i]`: whether value i is a rare event).
    public mutating func add(_ values: [Double], rare: [Bool]) {
        for i in parts.indices { parts[i].add(values[i], rare: rare[i]) }
        for p in crossProducts.indices {
            let a = pairs[2 * p], b = pairs[2 * p + 1]
            crossProducts[p].add((values[a] - parts[a].common.center) * (values[b] - parts[b].common.center))
        }
    }

    public mutating func merge(_ next: MomentsVector) {
        if parts.isEmpty { self = next; return }
        if next.parts.isEmpty { return }
        precondition(parts.count == next.parts.count && pairs == next.pairs)
        for i in parts.indices { parts[i].merge(next.parts[i]) }
        for p in crossProducts.indices { crossProducts[p].add(next.crossProducts[p]) }
    }

    /// The sample count (every part sees every sample).
    public var count: UInt64 { parts.first?.count ?? 0 }

    /// The ratio of the means of parts a and b (a pair kept at init) with its
    /// delta-method standard error: r = mean_a / mean_b,
    /// Var(r) ~ (Var a - 2 r Cov(a, b) + r^2 Var b) / (n mean_b^2).
    public func ratio(_ a: Int, over b: Int) -> (value: Double, standardError: Double)? {
        guard let p = (0..<crossProducts.count).first(where: { pairs[2 * $0] == a && pairs[2 * $0 + 1] == b }),
              count >= 2 else { return nil }
        let n = Double(count)
        let ma = parts[a].mean, mb = parts[b].mean
        guard mb != 0 else { return nil }
        let r = ma / mb
        let ca = parts[a].common.center, cb = parts[b].common.center
        let da = ma - ca, db = mb - cb
        let covariance = (crossProducts[p].value - n * da * db) / (n - 1)
        let variance = max(0, parts[a].variance - 2 * r * covariance + r * r * parts[b].variance)
        return (r, (variance / n).squareRoot() / abs(mb))
    }

    /// `ratio(a, over: b)` as an estimate: the normal interval of the delta
    /// method at `level`, cut to `within` where the ratio cannot leave it.
    public func ratioEstimate(_ a: Int, over b: Int, level: Double,
                              within: ClosedRange<Double> = -Double.infinity...Double.infinity) throws -> Estimate? {
        guard let r = ratio(a, over: b) else { return nil }
        let z = try GSL.normalQuantile(1 - (1 - level) / 2)
        return Estimate(value: r.value, standardError: r.standardError,
                        low: max(within.lowerBound, r.value - z * r.standardError),
                        high: min(within.upperBound, r.value + z * r.standardError),
                        level: level, method: .deltaMethod, samples: count)
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(parts.count)
        for part in parts { writer.write(part) }
        writer.write(pairs.map { UInt64($0) })
        for sum in crossProducts { writer.write(sum) }
    }

    public init(from reader: inout BinaryReader) throws {
        let n = try reader.readInt()
        guard n >= 0 && n < 1 << 20 else { throw RewardBitsError.corruptCheckpoint("a moments vector of \(n) parts") }
        parts = try (0..<n).map { _ in try reader.read() }
        pairs = try reader.readUInt64Array().map { Int($0) }
        crossProducts = try (0..<(pairs.count / 2)).map { _ in try reader.read() }
    }
}
