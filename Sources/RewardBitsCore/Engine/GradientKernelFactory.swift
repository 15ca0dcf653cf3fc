/// The kernels of the `gradient` channel, in every compiled copy (see
/// `KernelFactory`).
public protocol GradientKernelFactory: KernelFactory {
    /// K rollouts over V tokens per prompt, the update weighed by `model`'s rule.
    static func gradientVocabulary(model: GradientLikelihood, prior: AnySymbolSampler, policy: AnySymbolSampler,
                                   layout: ValueLayout) -> any BlockKernel<MomentsVector>
    /// K rollouts of T binary tokens per prompt, per-token rewards as advantages.
    static func gradientPerToken(model: PerTokenGradient, length: Int, layout: ValueLayout) -> any BlockKernel<MomentsVector>
}

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
