/// A source of uniformly distributed 32-bit words: one independent stream per
/// (seed, block index). Distributions never talk to a stream directly; they
/// draw from a `WordSource`, which buffers the stream in bulk.
public protocol RandomStream: ~Copyable {
    /// The number of words `fill` writes per call: callers ask for multiples.
    static var chunkWords: Int { get }
    /// Writes the next `count` words of the stream into `words`.
    /// `count` is a positive multiple of `chunkWords`.
    mutating func fill(_ words: UnsafeMutablePointer<UInt32>, count: Int)
}

/// Where a stream sits in the run: the user's seed and the block index.
public struct StreamKey: Hashable, Sendable {
    public var seed: UInt64
    public var block: UInt64
    public init(seed: UInt64, block: UInt64) {
        self.seed = seed
        self.block = block
    }
}

/// A buffered reader over one stream. Kernels take all their randomness from
/// here, in order, so the words a block consumes depend only on its stream.
public struct WordSource<Stream: RandomStream & ~Copyable>: ~Copyable {
    public static var capacity: Int { 1024 }
    @usableFromInline var stream: Stream
    @usableFromInline let buffer: UnsafeMutablePointer<UInt32>
    @usableFromInline var index: Int
    /// Words handed out so far (for the RNG dump and for tests).
    @usableFromInline var refills: Int

    @inlinable
    public init(_ stream: consuming Stream) {
        self.stream = stream
        precondition(Self.capacity % Stream.chunkWords == 0)
        buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: Self.capacity)
        index = Self.capacity
        refills = 0
    }

    @inlinable
    deinit {
        buffer.deallocate()
    }

    @inlinable
    mutating func refill() {
        stream.fill(buffer, count: Self.capacity)
        index = 0
        refills += 1
    }

    /// The next 32 uniform bits.
    @inlinable @inline(__always)
    public mutating func next() -> UInt32 {
        if index == Self.capacity { refill() }
        let word = buffer[index]
        index &+= 1
        return word
    }

    /// The next 64 uniform bits (two words, the first one in the low half).
    @inlinable @inline(__always)
    public mutating func next64() -> UInt64 {
        if index &+ 2 > Self.capacity {
            let low = UInt64(next())
            return low | (UInt64(next()) << 32)
        }
        let pair = UnsafeRawPointer(buffer + index).loadUnaligned(as: UInt64.self)
        index &+= 2
        return UInt64(littleEndian: pair)
    }

    /// Up to `count` (at least one, fewer where the buffer ends) of the next
    /// words in place, as `next()` would hand them out one by one. Valid
    /// until the next call on this reader. A loop over them keeps no store
    /// to the reader's position in it.
    @inlinable @inline(__always)
    public mutating func nextWords(upTo count: Int) -> UnsafeBufferPointer<UInt32> {
        if index == Self.capacity { refill() }
        let take = Swift.min(count, Self.capacity &- index)
        let words = UnsafeBufferPointer(start: buffer + index, count: take)
        index &+= take
        return words
    }

    /// The next 16 words as one vector. The words are the next 16 of the
    /// stream when the reader sits on a multiple of 16; otherwise the words up
    /// to the next multiple of 16 are skipped first (deterministically).
    @inlinable @inline(__always)
    public mutating func nextVector() -> SIMD16<UInt32> {
        index = (index &+ 15) & ~15
        if index == Self.capacity { refill() }
        let vector = UnsafeRawPointer(buffer + index).loadUnaligned(as: SIMD16<UInt32>.self)
        index &+= 16
        return vector
    }

    /// The next `count` 64-bit values in place, as `next64()` would return
    /// them one by one, when the buffer holds that many (nil otherwise, and
    /// nothing is taken). Valid until the next call on this reader.
    @inlinable @inline(__always)
    public mutating func contiguous64(_ count: Int) -> UnsafeRawPointer? {
        if index &+ 2 &* count > Self.capacity { return nil }
        let words = UnsafeRawPointer(buffer + index)
        index &+= 2 &* count
        return words
    }

    /// The next `count` half vectors (8 words each) in place, as `count`
    /// calls of `nextHalfVector()` would return them, when the buffer holds
    /// them from the next multiple of 8 on (nil otherwise, and nothing is
    /// taken). Valid until the next call on this reader.
    @inlinable @inline(__always)
    public mutating func contiguousHalfVectors(_ count: Int) -> UnsafeRawPointer? {
        let start = (index &+ 7) & ~7
        if start &+ 8 &* count > Self.capacity { return nil }
        index = start &+ 8 &* count
        return UnsafeRawPointer(buffer + start)
    }

    /// The next `count` 64-bit values, as `next64()` would return them one by
    /// one (copied from the buffer in bulk).
    @inlinable @inline(__always)
    public mutating func fill64(_ out: UnsafeMutablePointer<UInt64>, count: Int) {
        var done = 0
        while done < count {
            if index &+ 2 > Self.capacity {
                out[done] = next64()
                done &+= 1
                continue
            }
            let available = (Self.capacity &- index) / 2
            let take = Swift.min(available, count &- done)
            UnsafeMutableRawPointer(out + done).copyMemory(from: buffer + index, byteCount: 8 &* take)
            index &+= 2 &* take
            done &+= take
        }
    }

    /// The next 8 words as one vector (the words up to the next multiple of 8
    /// are skipped first).
    @inlinable @inline(__always)
    public mutating func nextHalfVector() -> SIMD8<UInt32> {
        index = (index &+ 7) & ~7
        if index == Self.capacity { refill() }
        let vector = UnsafeRawPointer(buffer + index).loadUnaligned(as: SIMD8<UInt32>.self)
        index &+= 8
        return vector
    }

    /// Total words taken from the stream so far, whether handed out or skipped.
    public var wordsConsumed: Int {
        refills == 0 ? 0 : (refills - 1) * Self.capacity + index
    }
}
