import CBitOps
import RewardBitsCore

/// An `AliasTable` as the kernels draw from it: the same draws from the same
/// words (one 64-bit word each, `AliasTable.pick`), eight at a time with one
/// gather in the AVX-512 copy, where the scalar picks were the largest cost
/// of sampling a Zipf policy.
struct AliasSampler: SymbolSampler {
    let table: AliasTable

    init(_ table: AliasTable) { self.table = table }

    @inline(__always)
    func draw<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>) -> UInt32 {
        table.draw(&source)
    }

    @inline(__always)
    func fill<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>
    ) {
        #if REWARDBITS_AVX512
        table.withColumns { entries, shift, coinMask in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 256) { words in
                let words = words.baseAddress!
                let base = entries.baseAddress!
                var done = 0
                while done < count {
                    let batch = min(256, count &- done)
                    source.fill64(words, count: batch)
                    var i = 0
                    while i &+ 8 <= batch {
                        rb_alias_pick8(words + i, base, symbols + (done &+ i), UInt32(shift), coinMask)
                        i &+= 8
                    }
                    while i < batch {
                        symbols[done &+ i] = AliasTable.pick(words[i], entries, shift: shift, coinMask: coinMask)
                        i &+= 1
                    }
                    done &+= batch
                }
            }
        }
        #else
        table.fill(symbols, count: count, from: &source)
        #endif
    }
}
