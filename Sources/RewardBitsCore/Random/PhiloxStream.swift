/// The default stream: Philox4x32-10 keyed by the seed, with the block index in
/// the high half of the counter and the position in the low half.
///
/// Stream format (version 1): words are produced in chunks of 64 for 16
/// consecutive counters n..n+15 (n a multiple of 16); the chunk holds output
/// word 0 of the 16 counters, then word 1, word 2 and word 3. Word j of block b
/// is therefore Philox(counter = (16*(j/64) + j%16, 0, b_lo, b_hi),
/// key = (seed_lo, seed_hi))[(j % 64) / 16].
public struct PhiloxStream: RandomStream {
    public static var chunkWords: Int { 64 }

    @usableFromInline let key: Philox4x32.Key
    @usableFromInline let blockLow: UInt32
    @usableFromInline let blockHigh: UInt32
    /// The next counter (low 64 bits), always a multiple of 16.
    @usableFromInline var position: UInt64

    public init(_ key: StreamKey) {
        self.key = (UInt32(truncatingIfNeeded: key.seed), UInt32(truncatingIfNeeded: key.seed >> 32))
        blockLow = UInt32(truncatingIfNeeded: key.block)
        blockHigh = UInt32(truncatingIfNeeded: key.block >> 32)
        position = 0
    }

    @inlinable
    public mutating func fill(_ words: UnsafeMutablePointer<UInt32>, count: Int) {
        var offset = 0
        // Two chunks per iteration: independent dependency chains keep the
        // multiplier pipelines busy.
        while offset + 128 <= count {
            let a = Philox4x32.blocks16(position: position, c2: blockLow, c3: blockHigh, key: key)
            let b = Philox4x32.blocks16(position: position &+ 16, c2: blockLow, c3: blockHigh, key: key)
            let raw = UnsafeMutableRawPointer(words + offset)
            Self.store(a, raw, 0)
            Self.store(b, raw, 256)
            position &+= 32
            offset += 128
        }
        while offset < count {
            let a = Philox4x32.blocks16(position: position, c2: blockLow, c3: blockHigh, key: key)
            Self.store(a, UnsafeMutableRawPointer(words + offset), 0)
            position &+= 16
            offset += 64
        }
    }

    /// The same words as `fill`, computed 256 at a time on four interleaved
    /// sets of counters: the fast form on AVX2 and AVX-512, where a lane-wise
    /// 32-bit multiply is one instruction. `count` is a multiple of 256.
    // Always inlined: a call to Core's own compiled copy would run the
    // baseline-ISA build of this loop, not the kernel module's.
    @inlinable @inline(__always)
    public mutating func fillWide(_ words: UnsafeMutablePointer<UInt32>, count: Int) {
        var offset = 0
        while offset < count {
            // position is a multiple of 16: no carry inside a set of 16.
            let (a, b, c, d) = Philox4x32.blocks64(position: position, c2: blockLow, c3: blockHigh, key: key)
            let raw = UnsafeMutableRawPointer(words + offset)
            Self.store(a, raw, 0)
            Self.store(b, raw, 256)
            Self.store(c, raw, 512)
            Self.store(d, raw, 768)
            position &+= 64
            offset += 256
        }
    }

    @inlinable @inline(__always)
    static func store(_ s: (SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>, SIMD16<UInt32>),
                      _ raw: UnsafeMutableRawPointer, _ offset: Int) {
        raw.storeBytes(of: s.0, toByteOffset: offset, as: SIMD16<UInt32>.self)
        raw.storeBytes(of: s.1, toByteOffset: offset + 64, as: SIMD16<UInt32>.self)
        raw.storeBytes(of: s.2, toByteOffset: offset + 128, as: SIMD16<UInt32>.self)
        raw.storeBytes(of: s.3, toByteOffset: offset + 192, as: SIMD16<UInt32>.self)
    }
}
