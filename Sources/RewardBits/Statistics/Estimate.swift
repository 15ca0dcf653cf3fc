import Foundation

/// How a confidence interval was formed.
public enum IntervalMethod: String, Sendable, Codable {
    /// mean +- t_{n-1} s / sqrt(n), quantile from GSL.
    case studentT = "student-t"
    /// Wilson's score interval on a binomial proportion, mapped affinely onto
    /// the estimator (used when the estimator is affine in a binomial count).
    case wilson
    /// The delta method for a ratio of means (sft filtered).
    case deltaMethod = "delta-method"
    /// Every sample had the same value and the model says it cannot vary:
    /// the estimate is exact and the interval has zero width.
    case zeroVariance = "zero-variance"
}

/// A point estimate with its standard error and confidence interval.
public struct Estimate: Sendable, Equatable {
    public var value: Double
    public var standardError: Double
    public var low: Double
    public var high: Double
    public var level: Double
    public var method: IntervalMethod
    public var samples: UInt64

    public var halfWidth: Double { (high - low) / 2 }

    public init(value: Double, standardError: Double, low: Double, high: Double,
                level: Double, method: IntervalMethod, samples: UInt64) {
        self.value = value
        self.standardError = standardError
        self.low = low
        self.high = high
        self.level = level
        self.method = method
        self.samples = samples
    }

    /// z = (estimate - exact) / standard error; nil when either is unavailable.
    public func z(against exact: Double?) -> Double? {
        guard let exact, standardError > 0 else { return nil }
        return (value - exact) / standardError
    }

    public func contains(_ x: Double) -> Bool { low <= x && x <= high }

    /// The Student-t interval for a sample mean.
    ///
    /// A zero sample variance gives a zero-width interval only when
    /// `canVary` is false (the model says every sample is the same value);
    /// otherwise the caller must have chosen a count-based interval.
    public static func studentT(mean: Double, variance: Double, samples: UInt64, level: Double) throws -> Estimate {
        guard samples >= 2 else {
            throw RewardBitsError.invalidInput("a confidence interval needs at least 2 samples (got \(samples))")
        }
        let variance = max(variance, 0)
        let se = (variance / Double(samples)).squareRoot()
        if se == 0 {
            return Estimate(value: mean, standardError: 0, low: mean, high: mean,
                            level: level, method: .zeroVariance, samples: samples)
        }
        let t = try GSL.studentTQuantile((1 + level) / 2, degreesOfFreedom: Double(samples - 1))
        return Estimate(value: mean, standardError: se, low: mean - t * se, high: mean + t * se,
                        level: level, method: .studentT, samples: samples)
    }

    /// The interval for an estimator that equals offset + slope * (k / n),
    /// k ~ Binomial(n, p): Wilson's score interval for p, mapped affinely.
    /// It keeps its width when k = 0, which is what rare successes need.
    public static func affineBinomial(
        offset: Double, slope: Double, successes k: UInt64, trials n: UInt64,
        samples: UInt64, level: Double
    ) throws -> Estimate {
        precondition(n > 0 && k <= n)
        let nd = Double(n)
        let pHat = Double(k) / nd
        let value = offset + slope * pHat
        if slope == 0 {
            return Estimate(value: value, standardError: 0, low: value, high: value,
                            level: level, method: .zeroVariance, samples: samples)
        }
        let z = try GSL.normalQuantile((1 + level) / 2)
        let z2 = z * z
        let denominator = 1 + z2 / nd
        let center = (pHat + z2 / (2 * nd)) / denominator
        let spread = z / denominator * (pHat * (1 - pHat) / nd + z2 / (4 * nd * nd)).squareRoot()
        let pLow = max(0, center - spread)
        let pHigh = min(1, center + spread)
        let a = offset + slope * pLow
        let b = offset + slope * pHigh
        let se = abs(slope) * (pHat * (1 - pHat) / nd).squareRoot()
        return Estimate(value: value, standardError: se, low: min(a, b), high: max(a, b),
                        level: level, method: .wilson, samples: samples)
    }
}
