import Foundation
import RewardBitsCore

/// A kernel written once, generically over the stream it reads.
protocol SourceKernel: Sendable {
    associatedtype Statistics: SufficientStatistics
    func run<S: RandomStream & ~Copyable>(block: UInt64, samples: Int, source: inout WordSource<S>) -> BlockResult<Statistics>
}

extension SourceKernel {
    /// Opens the block's stream here, inside the kernels module.
    @inline(__always)
    func run(block: UInt64, samples: Int, stream: StreamKey, generator: RandomGenerator) -> BlockResult<Statistics> {
        switch generator {
        case .philox:
            var source = WordSource(KernelPhiloxStream(stream))
            return run(block: block, samples: samples, source: &source)
        case .gsl(let type):
            var source = WordSource(GSLStream(type: type, key: stream))
            return run(block: block, samples: samples, source: &source)
        }
    }
}

/// A kernel behind a closure formed where its type is concrete.
///
/// Handing out a generic kernel type as an existential would run its hot
/// loop as unspecialised generic code (one witness table for all type
/// arguments). Capturing the concrete kernel in a closure at the
/// construction site makes the compiler specialise everything inside it,
/// with this module's instruction set.
struct SpecializedKernel<Statistics: SufficientStatistics>: BlockKernel {
    let body: @Sendable (UInt64, Int, StreamKey, RandomGenerator) -> BlockResult<Statistics>

    @inline(__always)
    init<K: SourceKernel>(_ kernel: K) where K.Statistics == Statistics {
        body = { block, samples, stream, generator in
            kernel.run(block: block, samples: samples, stream: stream, generator: generator)
        }
    }

    func run(block: UInt64, samples: Int, stream: StreamKey, generator: RandomGenerator) -> BlockResult<Statistics> {
        body(block, samples, stream, generator)
    }
}

/// The Philox stream as kernels read it: the same words as `PhiloxStream`,
/// produced by the wide four-chain form where the instruction set has a
/// one-instruction 32-bit lane multiply.
struct KernelPhiloxStream: RandomStream {
    static var chunkWords: Int { 256 }
    var base: PhiloxStream

    init(_ key: StreamKey) { base = PhiloxStream(key) }

    @inline(__always)
    mutating func fill(_ words: UnsafeMutablePointer<UInt32>, count: Int) {
        #if REWARDBITS_WIDE_SIMD
        base.fillWide(words, count: count)
        #else
        base.fill(words, count: count)
        #endif
    }
}
