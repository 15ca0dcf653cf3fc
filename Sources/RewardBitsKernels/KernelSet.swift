import Foundation
@_spi(Testing) import RewardBitsCore
import CBitOps

/// This module's kernels (see `KernelFactory`). The same source is compiled
/// in three modules with different instruction sets.
public enum KernelSet: KernelFactory {
    public static var instructionSet: String {
        #if REWARDBITS_AVX512
        return "avx512"
        #elseif REWARDBITS_AVX2
        return "avx2"
        #else
        return "portable"
        #endif
    }

    public static func fillPhilox(_ words: UnsafeMutablePointer<UInt32>, count: Int, stream: StreamKey) {
        var philox = KernelPhiloxStream(stream)
        var done = 0
        while done < count {
            let chunk = Swift.min(1024, count - done)
            precondition(chunk % KernelPhiloxStream.chunkWords == 0, "count must be a multiple of 256")
            philox.fill(words + done, count: chunk)
            done += chunk
        }
    }
}

@_spi(Testing)
extension KernelSet: KernelTestHooks {
    @_spi(Testing) public static func distinctTokensBySorting(_ x: [UInt32], pairedWith y: [UInt32]) -> (alone: Int, paired: Int, partner: Int) {
        precondition((1...32).contains(x.count) && y.count == x.count && (x + y).allSatisfy { $0 < 1 << 16 })
        // The kernel's groups sit back to back: what follows a group of K < 32
        // (the next group, junk here) must not count.
        let k = x.count
        let junk = (0..<64).map { UInt32($0 * 977 % 65536) }
        let buffer = x + y + junk
        let lanes = GroupPackedKernel.VectorLanes(groupSize: k)
        return buffer.withUnsafeBufferPointer {
            let base = $0.baseAddress!
            let pair = bitops_distinct_tokens_pair(base, base + k, lanes.first, lanes.second)
            return (Int(bitops_distinct_tokens(base, lanes.first, lanes.second)), Int(pair & 0xFF), Int(pair >> 8))
        }
    }

    @_spi(Testing) public static func groupClasses16(_ prompts: [[UInt32]], answers: [UInt32]?) -> [Int] {
        let k = prompts[0].count
        precondition(prompts.count == 16 && (1...32).contains(k) && prompts.allSatisfy { $0.count == k && $0.allSatisfy { $0 < 1 << 16 } })
        // Prompts back to back, then junk: the 32 words read from the start
        // of a prompt of K < 32 belong to the next one, and must not count.
        let tokens = prompts.flatMap { $0 } + (0..<32).map { UInt32($0 &* 40503 % 65536) }
        var classes = [UInt16](repeating: 0, count: 16)
        tokens.withUnsafeBufferPointer { tokens in
            if let answers {
                answers.withUnsafeBufferPointer { bitops_group_classes16(tokens.baseAddress!, Int32(k), $0.baseAddress!, &classes) }
            } else {
                bitops_group_classes16(tokens.baseAddress!, Int32(k), nil, &classes)
            }
        }
        return classes.map(Int.init)
    }

    @_spi(Testing) public static func aliasSymbols(_ table: AliasTable, stream: StreamKey, skip: Int, sizes: [Int]) -> [UInt32] {
        var source = WordSource(KernelPhiloxStream(stream))
        for _ in 0..<skip { _ = source.next() }
        var symbols = [UInt32](repeating: 0, count: sizes.reduce(0, +))
        symbols.withUnsafeMutableBufferPointer { symbols in
            var done = 0
            for size in sizes {
                table.fillSymbols(symbols.baseAddress! + done, count: size, from: &source)
                done += size
            }
        }
        return symbols
    }

    @_spi(Testing) public static func depositBitsByLanes(_ bits: UInt64, shifts: SIMD4<UInt64>, masks: SIMD4<UInt64>) -> SIMD4<UInt64> {
        bitops_deposit_bits_by_lanes(bits, shifts, masks)
    }

    @_spi(Testing) public static func bernoulliChunks(probability: Double, stream: StreamKey, live: [SIMD4<UInt64>], count: Int,
                                       deposit: BitDeposit) -> [SIMD4<UInt64>] {
        let sampler = BernoulliWords(probability: probability)
        var source = WordSource(KernelPhiloxStream(stream))
        return (0..<count).map { sampler.words4(&source, live: live[$0 % live.count], deposit: deposit) }
    }
}
