/// The kernels of the `single` channel, in every compiled copy (see
/// `KernelFactory`).
public protocol SingleKernelFactory: KernelFactory {
    static func singlePointwiseUniformPrior(policy: AnySymbolSampler, vocabularySize: UInt64, noise: Double)
        -> any BlockKernel<ClassCounts>
    static func singlePointwise(policy: AnySymbolSampler, prior: AliasTable, noise: Double, table: [Double],
                                center: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments>
    /// `rareThreshold`: values at or above it are the rare events of the
    /// interval rule (+infinity: none).
    static func singleRB(policy: AnySymbolSampler, table: [Double], constant: Bool, center: Double,
                         rareThreshold: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments>
    static func singlePlugin(policy: AnySymbolSampler, prior: AnySymbolSampler, vocabularySize: UInt64,
                             noise: Double) -> any BlockKernel<PluginStatistics>
}
