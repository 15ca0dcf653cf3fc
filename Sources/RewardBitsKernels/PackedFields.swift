import RewardBitsCore

/// Uniform symbols over V = 2^b, b <= 16, read straight from 16-word vectors:
/// word i of a vector holds floor(32 / b) symbols, field j being bits
/// [j b, (j + 1) b). Symbol number j * 16 + i of a vector is field j of word
/// i. Exact: the fields are independent uniform b-bit values.
struct PackedFields {
    let bits: Int
    let fields: Int
    let mask: SIMD16<UInt32>
    /// `bits` as a shift count: one shift per field in `fill`, where a
    /// count recomputed as j * bits costs a multiply, overflow checks and a
    /// move to a vector register per field. A scalar, not a vector of
    /// counts: the same count in every lane is one `psrld`, where a vector
    /// of counts needs AVX2's per-lane shifts and went lane by lane in the
    /// portable copy.
    let shift: UInt32

    init?(vocabularySize: UInt64) {
        guard vocabularySize & (vocabularySize - 1) == 0, vocabularySize <= 1 << 16 else { return nil }
        bits = vocabularySize.trailingZeroBitCount
        fields = 32 / bits
        mask = SIMD16(repeating: UInt32(vocabularySize - 1))
        shift = UInt32(bits)
    }

    /// Symbols per vector.
    var perVector: Int { 16 * fields }

    @inline(__always)
    func field(_ j: Int, of vector: SIMD16<UInt32>) -> SIMD16<UInt32> {
        (vector &>> UInt32(j * bits)) & mask
    }

    /// Writes `count` symbols (a multiple of `perVector`, or the rest) into
    /// `out`, in stream order.
    @inline(__always)
    func fill<S: RandomStream & ~Copyable>(_ out: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>) {
        var n = 0
        while n < count {
            let vector = source.nextVector()
            if n + perVector <= count {
                var raw = UnsafeMutableRawPointer(out + n)
                var rest = vector
                for _ in 0..<fields {
                    raw.storeBytes(of: rest & mask, as: SIMD16<UInt32>.self)
                    rest &>>= shift
                    raw += 64
                }
            } else {
                for j in 0..<fields {
                    let f = field(j, of: vector)
                    for i in 0..<16 where n + 16 * j + i < count { out[n + 16 * j + i] = f[i] }
                }
            }
            n += perVector
        }
    }
}

/// Lane numbers and lane bits, for masks built from bit patterns.
enum Lanes {
    // Computed, not `static let`: a stored global is initialised lazily, and
    // on Linux every use in a loop called `swift_once` (with the live vector
    // registers spilled around the call and `vzeroupper`), once per 16-word
    // vector in the filtered SFT kernel. Computed, they fold into constants.
    @inline(__always) static var index: SIMD16<UInt32> {
        SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    }
    @inline(__always) static var bit: SIMD16<UInt32> {
        SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
    }

    /// All ones in the lanes whose bit is set in the low 16 bits of
    /// `pattern`, zeros elsewhere. By arithmetic, not a comparison: a
    /// `SIMDMask` built from a comparison of a splat compiled to a lane-by-lane
    /// loop with a branch per bit (half the noisy single kernel's time).
    @inline(__always)
    static func ones(pattern: UInt32) -> SIMD16<UInt32> {
        // 0 - 2^i < 0 for a set bit i < 16, and 0 - 0 = 0.
        let set = SIMD16<Int32>(truncatingIfNeeded: SIMD16<UInt32>(repeating: pattern) & bit)
        return SIMD16<UInt32>(truncatingIfNeeded: (0 &- set) &>> 31)
    }

    /// A lane mask as lanes of all ones (true) or zeros. SIMDMask is stored
    /// exactly that way; `replacing(with:where:)` can compile to a lane-by-lane
    /// loop, the reinterpretation cannot.
    @inline(__always)
    static func ones(_ mask: SIMDMask<SIMD16<Int32>>) -> SIMD16<UInt32> {
        unsafeBitCast(mask, to: SIMD16<UInt32>.self)
    }

    /// The 16-bit pattern of a lane mask (bit i set when lane i is).
    @inline(__always)
    static func pattern(_ mask: SIMDMask<SIMD16<Int32>>) -> UInt32 {
        (ones(mask) & bit).wrappedSum()
    }

    /// Whether any bit of `v` is set: eight 64-bit ORs (a vector OR and one
    /// test), where `pattern` needs a horizontal sum and SIMD `!=` compiles
    /// to a lane-by-lane loop.
    @inline(__always)
    static func anyBitSet(_ v: SIMD16<UInt32>) -> Bool {
        let q = unsafeBitCast(v, to: SIMD8<UInt64>.self)
        let half = q.lowHalf | q.highHalf
        return (half[0] | half[1] | half[2] | half[3]) != 0
    }
}
