/// The kernels of the `sft` channel, in every compiled copy (see
/// `KernelFactory`).
public protocol SFTKernelFactory: KernelFactory {
    static func sftExpert(prior: AnySymbolSampler, vocabularySize: UInt64, goodSetSize: UInt64, surprise: [Double],
                          offset: Double, center: Double, binWidth: Double?) -> any BlockKernel<StratifiedMoments>
    static func sftFiltered(prior: AnySymbolSampler, policy: AnySymbolSampler, surprise: [Double], constant: Double,
                            binWidth: Double?) -> any BlockKernel<RatioMoments>
}
