import Foundation

/// Sums for the ratio of means sum(A) / sum(L), A the information of a
/// positive and L the rollouts it cost.
public struct RatioMoments: SufficientStatistics, Equatable {
    public var count: UInt64 = 0
    public var information = CompensatedSum()
    public var informationSquares = CompensatedSum()
    public var rollouts: UInt64 = 0
    public var rolloutSquares: UInt128 = 0
    public var crossProducts = CompensatedSum()
    public var maximumRollouts: UInt64 = 0
    /// Bits per positive, binned (--histogram).
    public var bins: SurpriseBins?

    public init() {}
    public init(binWidth: Double?) { bins = binWidth.map(SurpriseBins.init(width:)) }

    @inlinable @inline(__always)
    public mutating func add(information a: Double, rollouts l: UInt64) {
        count += 1
        information.add(a)
        informationSquares.add(a * a)
        rollouts += l
        rolloutSquares += UInt128(l) * UInt128(l)
        crossProducts.add(a * Double(l))
        maximumRollouts = max(maximumRollouts, l)
        if bins != nil { bins!.add(a) }
    }

    public mutating func merge(_ next: RatioMoments) {
        count += next.count
        information.add(next.information)
        informationSquares.add(next.informationSquares)
        rollouts += next.rollouts
        rolloutSquares += next.rolloutSquares
        crossProducts.add(next.crossProducts)
        maximumRollouts = max(maximumRollouts, next.maximumRollouts)
        if let nextBins = next.bins {
            if bins == nil { bins = nextBins } else { bins!.merge(nextBins) }
        }
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(count)
        writer.write(information)
        writer.write(informationSquares)
        writer.write(rollouts)
        writer.write(rolloutSquares)
        writer.write(crossProducts)
        writer.write(maximumRollouts)
        writer.write(bins == nil ? 0 : 1)
        bins?.encode(into: &writer)
    }

    public init(from reader: inout BinaryReader) throws {
        count = try reader.readUInt64()
        information = try reader.read()
        informationSquares = try reader.read()
        rollouts = try reader.readUInt64()
        rolloutSquares = try reader.readUInt128()
        crossProducts = try reader.read()
        maximumRollouts = try reader.readUInt64()
        if try reader.readInt() == 1 { bins = try SurpriseBins(from: &reader) }
    }

    /// R = mean(A) / mean(L), A the bits of a positive and L the rollouts it
    /// cost, with the delta-method standard error
    /// sqrt((Var A - 2 R Cov(A, L) + R^2 Var L) / n) / mean(L).
    ///
    /// The interval is taken on log R (both means are positive, and a ratio
    /// is skewed: a long search seen pulls R down far, one not seen leaves
    /// it high), with the half-width t se / R, and each end moved out by the
    /// rule's one more event at the most extreme value
    /// possible: one more positive at the hardest answer (A at its least,
    /// L = `hardestSearch`, the largest expected search 1 / pi(s) over the
    /// answers the prior allows) for the lower end, one at the easiest (A at
    /// its most, L = 1) for the upper. Where the policy seldom reaches some
    /// likely answers (peaked policy, flat prior) the hardest answer is far
    /// out, and so is the lower end: the rollouts those answers would cost
    /// are what the mean of L has not seen yet. When that widening is the
    /// larger part, the interval is flagged conservative.
    public func ratioEstimate(level: Double, bitsRange: ClosedRange<Double>? = nil,
                              hardestSearch: Double? = nil) throws -> Estimate {
        // One sample has no variance estimate (n - 1 = 0), not a zero one.
        guard count >= 2 else {
            throw RewardBitsError.invalidInput("a confidence interval needs at least 2 samples (got \(count))")
        }
        let n = Double(count)
        let meanA = information.value / n
        let meanL = Double(rollouts) / n
        let ratio = meanA / meanL
        let varA = max(0, (informationSquares.value - n * meanA * meanA) / (n - 1))
        let varL = max(0, (Double(rolloutSquares) - n * meanL * meanL) / (n - 1))
        let covAL = (crossProducts.value - n * meanA * meanL) / (n - 1)
        let variance = max(0, varA - 2 * ratio * covAL + ratio * ratio * varL) / (meanL * meanL)
        let se = (variance / n).squareRoot()
        let totalA = information.value, totalL = Double(rollouts)
        var guardDown = 0.0, guardUp = 0.0
        if ratio > 0 {
            if let hardestSearch, let range = bitsRange {
                let low = (totalA + range.lowerBound) / (totalL + max(hardestSearch, 1))
                if low > 0 { guardDown = max(0, log(ratio) - log(low)) }
            }
            if let range = bitsRange {
                guardUp = max(0, log((totalA + range.upperBound) / (totalL + 1)) - log(ratio))
            }
        }
        if se == 0 && guardDown == 0 && guardUp == 0 {
            return Estimate(value: ratio, standardError: 0, low: ratio, high: ratio, level: level,
                            method: .zeroVariance, samples: count)
        }
        let t = try GSL.studentTQuantile((1 + level) / 2, degreesOfFreedom: n - 1)
        guard ratio > 0 else {
            return Estimate(value: ratio, standardError: se, low: ratio - t * se, high: ratio + t * se,
                            level: level, method: .deltaMethod, samples: count)
        }
        let logHalf = t * se / ratio
        // As in Fay and Feuer's interval, the extra event shifts the end it
        // moves (it is not a spread to add in quadrature).
        let down = logHalf + guardDown
        let up = logHalf + guardUp
        var notes: [String] = []
        var method = IntervalMethod.deltaMethod
        if guardDown > logHalf {
            method = .rareEventsConservative
            notes.append(String(format:
                "the hardest answer the prior allows costs %.3g rollouts on average, against %.3g per positive so far: the lower end allows for one more such search (conservative); more positives will narrow it",
                hardestSearch ?? 0, meanL))
        }
        return Estimate(value: ratio, standardError: se, low: ratio * exp(-down), high: ratio * exp(up),
                        level: level, method: method, samples: count, notes: notes)
    }
}

