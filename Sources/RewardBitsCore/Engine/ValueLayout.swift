/// How a kernel files the per-sample values it reports together: each
/// value's center, and the bounds beyond which it is a rare event of the
/// interval rule (at or above `rareAbove`, or at or below `rareBelow`).
public struct ValueLayout: Sendable {
    public var centers: [Double]
    public var rareAbove: [Double]
    public var rareBelow: [Double]
    public var pairs: [(Int, Int)]

    public init(centers: [Double], rareAbove: [Double], rareBelow: [Double], pairs: [(Int, Int)] = []) {
        self.centers = centers
        self.rareAbove = rareAbove
        self.rareBelow = rareBelow
        self.pairs = pairs
    }

    public func emptyStatistics() -> MomentsVector { MomentsVector(centers: centers, pairs: pairs) }

    public func rare(_ values: [Double]) -> [Bool] {
        values.indices.map { values[$0] >= rareAbove[$0] || values[$0] <= rareBelow[$0] }
    }
}
