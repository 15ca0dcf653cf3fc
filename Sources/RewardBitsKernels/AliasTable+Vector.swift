import RewardBitsCore
import CBitOps

/// A symbol sampler as the kernels use it: `fillSymbols` draws exactly the
/// symbols of `fill`, from the same words, but may do so several at a time
/// in the instruction set this copy of the kernels is compiled for.
protocol KernelSymbolSampler: SymbolSampler {
    func fillSymbols<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>)
}

extension UniformSymbols: KernelSymbolSampler {
    @inline(__always)
    func fillSymbols<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>
    ) {
        fill(symbols, count: count, from: &source)
    }
}

extension AliasTable: KernelSymbolSampler {
    /// Eight draws per step from 16 words read in place (`bitops_alias_pick8`:
    /// one gather of the eight columns in the AVX-512 copy). Every alias
    /// draw reads a uniformly random column, whatever the distribution, so
    /// at V = 2^16 (a 512 KiB table) the scalar picks waited on L1 misses one
    /// load at a time. Near the end of the reader's buffer the words are
    /// taken pairwise, and a pair that straddles a refill takes its high word
    /// from the new buffer, as `next64` does: the same symbols as `fill`.
    @inline(__always)
    func fillSymbols<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>
    ) {
        let bits = columnBitCount
        let shift = UInt64(64 - bits)
        let coinMask = UInt64.max >> UInt64(bits)
        withEntries { entries in
            let base = entries.baseAddress!
            var done = 0
            while done < count {
                guard count &- done >= 8 else {
                    symbols[done] = Self.pick(source.next64(), entries, shift: shift, coinMask: coinMask)
                    done &+= 1
                    continue
                }
                let words = source.nextWords(upTo: 16)
                if words.count == 16 {
                    bitops_alias_pick8(words.baseAddress!, base, UInt32(bits), symbols + done)
                    done &+= 8
                    continue
                }
                var i = 0
                while i &+ 1 < words.count {
                    let word = UInt64(words[i]) | UInt64(words[i &+ 1]) << 32
                    symbols[done] = Self.pick(word, entries, shift: shift, coinMask: coinMask)
                    done &+= 1
                    i &+= 2
                }
                if i < words.count {
                    let word = UInt64(words[i]) | UInt64(source.next()) << 32
                    symbols[done] = Self.pick(word, entries, shift: shift, coinMask: coinMask)
                    done &+= 1
                }
            }
        }
    }
}
