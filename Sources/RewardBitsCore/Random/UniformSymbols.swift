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
            for i in 0..<count { symbols[i] = draw(&source) }
            return
        }
        let perWord = 32 / bits
        let mask = UInt32(vocabularySize - 1)
        var i = 0
        while i < count {
            var word = source.next()
            let take = Swift.min(perWord, count - i)
            for j in 0..<take {
                symbols[i + j] = word & mask
                word >>= UInt32(bits)
            }
            i += take
        }
    }
}
