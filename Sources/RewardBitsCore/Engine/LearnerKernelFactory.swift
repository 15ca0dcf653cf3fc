/// The kernels of the `learner` channel, in every compiled copy (see
/// `KernelFactory`).
public protocol LearnerKernelFactory: KernelFactory {
    /// One independent learner per sample: `steps` steps of K rollouts.
    static func learner(model: LearnerModel, prior: AnySymbolSampler, policy: AnySymbolSampler,
                        layout: ValueLayout) -> any BlockKernel<MomentsVector>
}
