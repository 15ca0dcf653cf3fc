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
///
/// The coin has 64 - c bits and the alias c, so a column is one 64-bit
/// entry, cut-off above alias: at V = 2^16 the table is 512 KiB and stays in
/// a 1 MiB L2 beside the kernels' own per-symbol tables. A cut-off of 1
/// (always the column) would need one bit more; it is stored as cut-off 0
/// with the column as its own alias, which draws the same symbol.
public struct AliasTable: @unchecked Sendable, Equatable {
    public let vocabularySize: Int
    @usableFromInline let columnBits: Int
    /// Column k: cut-off << c | alias.
    @usableFromInline let entries: [UInt64]

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
        for column in 0..<size where thresholds[column] >> UInt64(coinBits) != 0 {
            thresholds[column] = 0
            aliases[column] = UInt32(column)
        }
        self.vocabularySize = size
        self.columnBits = bits
        entries = (0..<columns).map { thresholds[$0] << UInt64(bits) | UInt64(aliases[$0]) }
    }

    /// The number of columns, 2^c.
    public var columnCount: Int { entries.count }

    /// c, the bits of a draw's word that pick its column.
    public var columnBitCount: Int { columnBits }

    /// Calls `body` with the columns (cut-off << c | alias, see `pick`), for
    /// kernels that draw several symbols at once.
    @inlinable
    public func withEntries<R>(_ body: (UnsafeBufferPointer<UInt64>) throws -> R) rethrows -> R {
        try entries.withUnsafeBufferPointer(body)
    }

    /// Column k's cut-off on the coin (in units of 2^-(64-c); the column is
    /// drawn when the coin is below it) and its alias.
    public func column(_ k: Int) -> (threshold: UInt64, alias: UInt32) {
        (entries[k] >> UInt64(columnBits), UInt32(truncatingIfNeeded: entries[k] & (UInt64.max >> UInt64(64 - columnBits))))
    }

    /// The probability of each symbol implied by the quantised table.
    public var impliedProbabilities: [Double] {
        let coinScale = Double(sign: .plus, exponent: 64 - columnBits, significand: 1)
        let columns = entries.count
        var p = [Double](repeating: 0, count: vocabularySize)
        for k in 0..<columns {
            let (threshold, alias) = column(k)
            let keep = Double(threshold) / coinScale
            if k < vocabularySize { p[k] += keep / Double(columns) }
            p[Int(alias)] += (1 - keep) / Double(columns)
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

    /// The column's symbol or its alias, chosen without a branch: the coin
    /// is random, so a branch would mispredict about half the time. Coin and
    /// cut-off are both below 2^63, so coin - cut-off (wrapping) has its top
    /// bit set exactly when coin < cut-off; that bit becomes a select mask.
    @inlinable @inline(__always)
    public static func pick(_ word: UInt64, _ entries: UnsafeBufferPointer<UInt64>, shift: UInt64, coinMask: UInt64) -> UInt32 {
        let column = word &>> shift
        let entry = entries[Int(truncatingIfNeeded: column)]
        // shift = 64 - c, so the entry's low c bits are the alias.
        let columnBits = 64 &- shift
        let threshold = entry &>> columnBits
        let alias = entry & ~(UInt64.max &<< columnBits)
        let keep = UInt64(bitPattern: Int64(bitPattern: (word & coinMask) &- threshold) &>> 63)
        return UInt32(truncatingIfNeeded: (column & keep) | (alias & ~keep))
    }

    @inlinable @inline(__always)
    public func draw<S: RandomStream & ~Copyable>(_ source: inout WordSource<S>) -> UInt32 {
        let word = source.next64()
        return entries.withUnsafeBufferPointer {
            Self.pick(word, $0, shift: UInt64(64 - columnBits), coinMask: UInt64.max >> UInt64(columnBits))
        }
    }

    @inlinable
    public func fill<S: RandomStream & ~Copyable>(
        _ symbols: UnsafeMutablePointer<UInt32>, count: Int, from source: inout WordSource<S>
    ) {
        let shift = UInt64(64 - columnBits)
        let coinMask = UInt64.max >> UInt64(columnBits)
        // Words first, then a loop of independent picks the compiler can
        // turn into conditional moves (or gathers). 1 KiB of words, the most
        // Swift puts on the stack: a larger buffer is a malloc and free per
        // call, which was 9% of a kernel that fills 64 symbols at a time.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 128) { words in
            let words = words.baseAddress!
            entries.withUnsafeBufferPointer { entries in
                var done = 0
                while done < count {
                    let batch = Swift.min(128, count &- done)
                    source.fill64(words, count: batch)
                    for i in 0..<batch {
                        symbols[done &+ i] = Self.pick(words[i], entries, shift: shift, coinMask: coinMask)
                    }
                    done &+= batch
                }
            }
        }
    }
}
