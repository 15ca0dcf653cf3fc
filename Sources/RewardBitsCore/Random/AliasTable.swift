import CGSL

/// Walker's alias method for a fixed discrete distribution over {0..V-1}.
///
/// The table is built by GSL (`gsl_ran_discrete_preproc`) over 2^c columns,
/// c = ceil(log2 V), the columns beyond V having probability zero. A draw
/// takes one 64-bit word: the top c bits pick the column exactly (no
/// rejection), the remaining 64 - c bits are the coin compared with the
/// column's cut-off, quantised to 2^-(64-c).
///
/// GSL stores column k's cut-off f as (f + k) / K, so only the absolute
/// precision k 2^-53 <= V 2^-53 of f survives (recovering f = F K - k is then
/// exact). A symbol's probability is therefore represented to about
/// V 2^-53 / V = 2^-53 absolute per column: relative errors stay below 1e-6
/// unless a probability is below ~1e-10 / V. `maximumRelativeError` reports
/// what a given table achieved.
public struct AliasTable: @unchecked Sendable {
    public let vocabularySize: Int
    @usableFromInline let columnBits: Int
    @usableFromInline let thresholds: [UInt64]
    @usableFromInline let aliases: [UInt32]

    public init(probabilities: [Double]) throws {
        GSL.prepare()
        let size = probabilities.count
        precondition(size >= 1)
        var bits = 0
        while (1 << bits) < size { bits += 1 }
        bits = max(bits, 1)
        let columns = 1 << bits
        var padded = probabilities
        padded.append(contentsOf: repeatElement(0, count: columns - size))
        guard let table = padded.withUnsafeBufferPointer({ gsl_ran_discrete_preproc(columns, $0.baseAddress) }) else {
            throw RewardBitsError.numerical("GSL gsl_ran_discrete_preproc failed for a distribution over \(size) symbols")
        }
        defer { gsl_ran_discrete_free(table) }
        let coinBits = 64 - bits
        let scale = Double(sign: .plus, exponent: coinBits, significand: 1)
        var thresholds = [UInt64](repeating: 0, count: columns)
        var aliases = [UInt32](repeating: 0, count: columns)
        for column in 0..<columns {
            let stored = cgsl_discrete_cutoff(table, column)
            let cutoff = min(max(stored * Double(columns) - Double(column), 0), 1)
            // cutoff * 2^coinBits <= 2^63 fits in UInt64 exactly.
            thresholds[column] = UInt64((cutoff * scale).rounded(.down))
            var alias = cgsl_discrete_alias(table, column)
            if alias >= size { alias = size - 1 }  // never used: its column has cut-off 1
            aliases[column] = UInt32(alias)
        }
        // A zero-probability padding column must never return itself.
        for column in size..<columns where thresholds[column] > 0 {
            thresholds[column] = 0
        }
        self.vocabularySize = size
        self.columnBits = bits
        self.thresholds = thresholds
        self.aliases = aliases
    }

    /// The probability of each symbol implied by the quantised table.
    public var impliedProbabilities: [Double] {
        let coinScale = Double(sign: .plus, exponent: 64 - columnBits, significand: 1)
        let columns = thresholds.count
        var p = [Double](repeating: 0, count: vocabularySize)
        for column in 0..<columns {
            let keep = Double(thresholds[column]) / coinScale
            if column < vocabularySize { p[column] += keep / Double(columns) }
            p[Int(aliases[column])] += (1 - keep) / Double(columns)
        }
        return p
    }

    /// The largest |implied - requested| / requested over symbols with
    /// requested probability > 0.
    public func maximumRelativeError(against probabilities: [Double]) -> Double {
        zip(impliedProbabilities, probabilities).reduce(0) { worst, pair in
            pair.1 > 0 ? max(worst, abs(pair.0 - pair.1) / pair.1) : (pair.0 > 0 ? .infinity : worst)
        }
    }

    @inlinable @inline(__always)
    public func draw<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>) -> UInt32 {
        let word = source.next64()
        let column = Int(truncatingIfNeeded: word >> UInt64(64 - columnBits))
        let coin = word & (UInt64.max >> UInt64(columnBits))
        return thresholds.withUnsafeBufferPointer { t in
            coin < t[column] ? UInt32(truncatingIfNeeded: column) : aliases.withUnsafeBufferPointer { $0[column] }
        }
    }

    @inlinable
    public func fill<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>
    ) {
        let shift = UInt64(64 - columnBits)
        let coinMask = UInt64.max >> UInt64(columnBits)
        thresholds.withUnsafeBufferPointer { t in
            aliases.withUnsafeBufferPointer { a in
                for i in 0..<count {
                    let word = source.next64()
                    let column = Int(truncatingIfNeeded: word >> shift)
                    symbols[i] = (word & coinMask) < t[column] ? UInt32(truncatingIfNeeded: column) : a[column]
                }
            }
        }
    }
}
