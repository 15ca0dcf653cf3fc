/// Uniform draws from {0, ..., V-1}, 2 <= V <= 2^32, without bias.
///
/// Non-powers of two use Lemire's multiply-shift with rejection: the high
/// half of word * V is uniform once the low half is not below
/// (2^32 - V) mod V. For V = 2^b with b <= 16, `fill` packs floor(32/b) draws
/// into one word (exact: the fields are independent uniform b-bit values).
public struct UniformSymbols: Sendable, Hashable {
    public let vocabularySize: UInt64
    /// b when V = 2^b, else nil.
    @usableFromInline let log2Size: Int?
    @usableFromInline let rejectBelow: UInt64

    public init(vocabularySize: UInt64) {
        precondition(vocabularySize >= 2 && vocabularySize <= (1 << 32))
        self.vocabularySize = vocabularySize
        if vocabularySize & (vocabularySize - 1) == 0 {
            log2Size = vocabularySize.trailingZeroBitCount
        } else {
            log2Size = nil
        }
        rejectBelow = ((1 << 32) - vocabularySize) % vocabularySize
    }

    /// One draw from one or more whole words.
    @inlinable @inline(__always)
    public func draw<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>) -> UInt32 {
        while true {
            let product = UInt64(source.next()) &* vocabularySize
            if UInt64(UInt32(truncatingIfNeeded: product)) >= rejectBelow {
                return UInt32(truncatingIfNeeded: product >> 32)
            }
        }
    }

    /// `count` draws into `symbols`, packing several per word when exact.
    @inlinable
    public func fill<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>
    ) {
        guard let bits = log2Size, bits <= 16 else {
            // The words `draw` would take, in order, read in place: one per
            // draw, a rejected one (probability below V / 2^32) skipped.
            // Eight words at a time as vectors while none of the eight is
            // rejected; from a rejection on, the rest of the run one by one.
            let size = SIMD8<UInt64>(repeating: vocabularySize)
            let threshold = SIMD8<UInt64>(repeating: rejectBelow)
            var i = 0
            while i < count {
                let words = source.nextWords(upTo: count &- i)
                let base = UnsafeRawPointer(words.baseAddress!)
                var q = 0
                while q &+ 8 <= words.count {
                    let product = SIMD8<UInt64>(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: 4 &* q, as: SIMD8<UInt32>.self)) &* size
                    if any(product & 0xFFFF_FFFF .< threshold) { break }
                    UnsafeMutableRawPointer(symbols + i).storeBytes(of: SIMD8<UInt32>(truncatingIfNeeded: product &>> 32), as: SIMD8<UInt32>.self)
                    i &+= 8
                    q &+= 8
                }
                while q < words.count {
                    let product = UInt64(words[q]) &* vocabularySize
                    symbols[i] = UInt32(truncatingIfNeeded: product >> 32)
                    i &+= UInt64(UInt32(truncatingIfNeeded: product)) >= rejectBelow ? 1 : 0
                    q &+= 1
                }
            }
            return
        }
        let mask = UInt32(vocabularySize - 1)
        let shift = UInt32(bits)
        // Whole words with a constant number of fields each (so the inner
        // loop unrolls), then one word for the rest, its upper fields unused.
        @inline(__always) func unpack(_ perWord: Int, _ source: inout WordSource<S>) {
            var i = 0
            var wholeWords = count / perWord
            while wholeWords > 0 {
                let words = source.nextWords(upTo: wholeWords)
                for word in words {
                    var word = word
                    for j in 0..<perWord {
                        symbols[i &+ j] = word & mask
                        word &>>= shift
                    }
                    i &+= perWord
                }
                wholeWords &-= words.count
            }
            if i < count {
                var word = source.next()
                for j in 0..<(count &- i) {
                    symbols[i &+ j] = word & mask
                    word &>>= shift
                }
            }
        }
        switch 32 / bits {
        case 2: unpack(2, &source)
        case 3: unpack(3, &source)
        case 4: unpack(4, &source)
        case 5: unpack(5, &source)
        case 6: unpack(6, &source)
        case 8: unpack(8, &source)
        case 10: unpack(10, &source)
        case 16: unpack(16, &source)
        default: unpack(32, &source)
        }
    }
}
