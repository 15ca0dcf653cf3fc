/// A sampler of symbols in {0, ..., V-1}: the kernels are generic over it so
/// that uniform and alias draws each get a specialised hot loop.
public protocol SymbolSampler: Sendable {
    func draw<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>) -> UInt32
    func fill<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>)
}

extension UniformSymbols: SymbolSampler {}
extension AliasTable: SymbolSampler {}

/// The sampler a distribution needs, chosen once per run.
public enum AnySymbolSampler: Sendable {
    case uniform(UniformSymbols)
    case alias(AliasTable)
}
