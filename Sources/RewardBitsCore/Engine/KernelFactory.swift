/// The hot loops of every channel, built for one instruction set.
///
/// The kernel sources are compiled three times (portable, x86-64-v3 with
/// AVX2, x86-64-v4 with AVX-512), each copy providing a `KernelSet` that
/// conforms to this protocol; the engine picks the widest the CPU supports.
/// All three give bitwise-identical statistics for a given stream. Each
/// channel's kernels are a protocol of their own (`SingleKernelFactory`),
/// which every copy's `KernelSet` conforms to in the channel's kernel file.
public protocol KernelFactory {
    /// "portable", "avx2" or "avx512".
    static var instructionSet: String { get }

    /// Fills `words` from the Philox stream of (seed, block) exactly as the
    /// kernels read it (for throughput benchmarks of the generator itself).
    static func fillPhilox(_ words: UnsafeMutablePointer<UInt32>, count: Int, stream: StreamKey)
}

/// The kernels' internals, as each compiled copy runs them, for the tests
/// that check every copy gives the same results (not part of the API).
@_spi(Testing)
public protocol KernelTestHooks {
    /// The numbers of distinct tokens among `x` and among `y` (two groups of
    /// the same size K, 1 to 32 tokens each below 2^16) as the group
    /// kernel's in-register sorting networks count them in this copy: x
    /// alone, then x and y side by side (for the tests: the AVX-512 copy
    /// runs the networks, the others their scalar fallback).
    static func distinctTokensBySorting(_ x: [UInt32], pairedWith y: [UInt32]) -> (alone: Int, paired: Int, partner: Int)

    /// The classes (M, or 2 M + answer drawn) of 16 prompts of K <= 32
    /// tokens below 2^16 each, as `bitops_group_classes16` gives them in this
    /// copy (for the tests: the AVX2 copy runs the lane-wise network, the
    /// others the reference loop).
    static func groupClasses16(_ prompts: [[UInt32]], answers: [UInt32]?) -> [Int]

    /// Symbols drawn from `table` with the Philox stream of (seed, block) as
    /// the kernels of this copy draw them (`fillSymbols`, eight at a time
    /// where it can), after skipping `skip` words, in calls of the given
    /// `sizes` (for the tests: the same symbols as `AliasTable.fill`).
    static func aliasSymbols(_ table: AliasTable, stream: StreamKey, skip: Int, sizes: [Int]) -> [UInt32]

    /// `bitops_deposit_bits_by_lanes` as compiled in this copy (for the tests:
    /// the AVX2 loop against four `pdep`s).
    static func depositBitsByLanes(_ bits: UInt64, shifts: SIMD4<UInt64>, masks: SIMD4<UInt64>) -> SIMD4<UInt64>

    /// `count` chunks of `BernoulliWords.words4` drawn from the Philox stream
    /// of (seed, block) as the token kernels of this copy draw them, with
    /// the live masks `live` in turn and the given deposit (for the tests:
    /// every copy and deposit gives the same words).
    static func bernoulliChunks(probability: Double, stream: StreamKey, live: [SIMD4<UInt64>], count: Int,
                                deposit: BitDeposit) -> [SIMD4<UInt64>]
}
