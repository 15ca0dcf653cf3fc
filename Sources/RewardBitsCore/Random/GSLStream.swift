import CGSL

/// A stream backed by one GSL generator, seeded for one (seed, block).
///
/// GSL generators are small stateful machines seeded by an integer, not
/// counter-based, so each block gets a generator of its own with a seed that
/// no other block of the run shares: see `GSLStream.seed(for:)`.
///
/// The raw outputs are turned into uniform 32-bit words by keeping the low
/// `bitsPerDraw` bits of `get() - min` (rejecting values beyond the largest
/// power of two that fits the generator's range) and concatenating them.
public struct GSLStream: RandomStream, ~Copyable {
    public static var chunkWords: Int { 64 }

    @usableFromInline let generator: UnsafeMutablePointer<gsl_rng>
    @usableFromInline let minimum: UInt64
    @usableFromInline let bits: Int
    @usableFromInline let acceptBelow: UInt64
    @usableFromInline var reservoir: UInt64 = 0
    @usableFromInline var reservoirBits: Int = 0

    /// Seeds handed to GSL lie in 1...seedSpace: below every modulus that a
    /// GSL seeding routine reduces by (2^31 - 249 for lecuyer21 is the
    /// smallest), and never 0, which several generators replace by a default.
    public static let seedSpace: UInt64 = 2_000_000_000

    /// The GSL seed of block `key.block`: blocks of one run get consecutive
    /// seeds (mod `seedSpace`) from an offset derived from the run's seed, so
    /// the map from block to seed is a bijection for up to `seedSpace` blocks.
    public static func seed(for key: StreamKey) -> UInt64 {
        let offset = SplitMix64.mix(key.seed) % seedSpace
        return 1 + (offset + key.block % seedSpace) % seedSpace
    }

    public init(type: GSLGeneratorType, key: StreamKey) {
        GSL.prepare()
        guard let generator = gsl_rng_alloc(type.pointer) else {
            fatalError("gsl_rng_alloc failed: out of memory")
        }
        gsl_rng_set(generator, UInt(Self.seed(for: key)))
        self.generator = generator
        minimum = type.minimum
        bits = min(type.bitsPerDraw, 32)
        acceptBelow = bits == 64 ? UInt64.max : (UInt64(1) << UInt64(bits))
    }

    deinit {
        gsl_rng_free(generator)
    }

    /// Next `bits` uniform bits from the generator.
    @inlinable @inline(__always)
    mutating func drawBits() -> UInt64 {
        while true {
            let value = UInt64(cgsl_rng_get(generator)) &- minimum
            if value < acceptBelow { return value }
        }
    }

    @inlinable
    public mutating func fill(_ words: UnsafeMutablePointer<UInt32>, count: Int) {
        if bits == 32 {
            for i in 0..<count {
                words[i] = UInt32(truncatingIfNeeded: drawBits())
            }
            return
        }
        for i in 0..<count {
            while reservoirBits < 32 {
                reservoir |= drawBits() << UInt64(reservoirBits)
                reservoirBits += bits
            }
            words[i] = UInt32(truncatingIfNeeded: reservoir)
            reservoir >>= 32
            reservoirBits -= 32
        }
    }
}

/// SplitMix64's finaliser: a bijective 64-bit mixer (Steele et al. 2014).
public enum SplitMix64 {
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
