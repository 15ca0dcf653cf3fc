/// The kernels of the `group` channel, in every compiled copy (see
/// `KernelFactory`).
public protocol GroupKernelFactory: KernelFactory {
    static func groupUniformPrior(policy: AnySymbolSampler, vocabularySize: UInt64, groupSize: Int,
                                  pointwise: Bool) -> any BlockKernel<GroupStatistics>
    static func group(policy: AnySymbolSampler, prior: AliasTable, priorProbabilities: [Double],
                      vocabularySize: UInt64, groupSize: Int, pointwise: Bool, center: Double,
                      rareThreshold: Double, binWidth: Double?) -> any BlockKernel<GroupStatistics>
    static func groupNoisy(policy: AnySymbolSampler, prior: AliasTable?, priorProbabilities: [Double]?,
                           vocabularySize: UInt64, groupSize: Int, noise: Double, pointwise: Bool, center: Double,
                           rareThreshold: Double, rareBelow: Double, binWidth: Double?) -> any BlockKernel<GroupStatistics>
}
