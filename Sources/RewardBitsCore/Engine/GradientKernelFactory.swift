/// The kernels of the `gradient` channel, in every compiled copy (see
/// `KernelFactory`).
public protocol GradientKernelFactory: KernelFactory {
    /// K rollouts over V tokens per prompt, the update weighed by `model`'s rule.
    static func gradientVocabulary(model: GradientLikelihood, prior: AnySymbolSampler, policy: AnySymbolSampler,
                                   layout: ValueLayout) -> any BlockKernel<MomentsVector>
    /// K rollouts of T binary tokens per prompt, per-token rewards as advantages.
    static func gradientPerToken(model: PerTokenGradient, length: Int, layout: ValueLayout) -> any BlockKernel<MomentsVector>
}
