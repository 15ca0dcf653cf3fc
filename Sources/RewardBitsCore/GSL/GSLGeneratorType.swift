import CGSL

/// One of the generator types GSL was built with (`gsl_rng_types_setup`).
///
/// The type table is static, read-only C data, hence `@unchecked Sendable`.
public struct GSLGeneratorType: @unchecked Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// Smallest and largest raw output of `gsl_rng_get`.
    public let minimum: UInt64
    public let maximum: UInt64
    @usableFromInline let pointer: UnsafePointer<gsl_rng_type>

    public static func == (a: Self, b: Self) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
    public var description: String { "gsl:\(name)" }

    /// Every generator GSL offers, in GSL's own order.
    public static let all: [GSLGeneratorType] = {
        GSL.prepare()
        var types: [GSLGeneratorType] = []
        guard var cursor = cgsl_rng_types() else { return types }
        while let type = cursor.pointee {
            types.append(GSLGeneratorType(
                name: String(cString: type.pointee.name),
                minimum: UInt64(type.pointee.min),
                maximum: UInt64(type.pointee.max),
                pointer: type))
            cursor += 1
        }
        return types
    }()

    /// Generators whose seeding routine keeps so few bits of the seed that
    /// many seeds give the same stream (measured: of 200,000 consecutive seeds
    /// most collide). Per-block seeding would make blocks share streams, so
    /// the engine refuses them.
    public static let degenerateSeeding: Set<String> = ["coveyou", "ranf", "slatec", "uni", "uni32", "zuf"]

    /// Generators whose output is measurably biased as GSL seeds them
    /// (r250: its low bit planes stay unbalanced, 49.6% ones over 10^6 words
    /// from one seed). Accepted, with a warning in every result.
    public static let knownBiased: [String: String] = [
        "r250": "gsl:r250's low bits are biased as GSL seeds it (49.6% ones over 10^6 words); estimates may be biased",
    ]

    /// The generator called `name` (without the `gsl:` prefix), if any.
    public static func named(_ name: String) -> GSLGeneratorType? {
        all.first { $0.name == name }
    }

    /// Number of uniform bits one raw draw yields after rejection:
    /// floor(log2(maximum - minimum + 1)).
    public var bitsPerDraw: Int {
        let range = maximum - minimum  // range + 1 values
        if range == UInt64.max { return 64 }
        return 63 - (range + 1).leadingZeroBitCount
    }
}
