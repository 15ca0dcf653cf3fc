import Foundation

/// How a confidence interval was formed.
public enum IntervalMethod: String, Sendable, Codable {
    /// mean +- t_{n-1} s / sqrt(n), quantile from GSL.
    case studentT = "student-t"
    /// Wilson's score interval on a binomial proportion, mapped affinely onto
    /// the estimator.
    case wilson
    /// The Clopper-Pearson (exact binomial) interval, mapped affinely onto
    /// the estimator: used when the estimator is affine in a binomial count,
    /// so that rare successes keep their coverage.
    case clopperPearson = "clopper-pearson"
    /// Blaker's exact interval (inside Clopper-Pearson, coverage still at
    /// least the level), mapped affinely: the default where the estimator is
    /// affine in a binomial count.
    case blaker
    /// Stevens' randomized Clopper-Pearson interval: coverage exactly the
    /// level for every p, at the price of an auxiliary uniform draw.
    case randomizedClopperPearson = "randomized-clopper-pearson"
    /// The plug-in estimator: a recentred, expanded percentile interval from
    /// a bootstrap over fixed groups of blocks (see `PluginStatistics`).
    case bootstrap
    /// Every sample fell in one class although others are possible: the
    /// interval reaches toward the other classes' values by the
    /// Clopper-Pearson upper bound on the unseen classes' total frequency.
    case unseenClasses = "unseen-classes"
    /// Rare events (hits, rewarded checkpoints, values near the top of
    /// their range) with enough of them seen: a count interval on them
    /// combined with the spread within them and within the rest (see
    /// `Estimate.rareEventMean`).
    case rareEventStratified = "rare-event-stratified"
    /// Too few rare events to estimate their spread: the worst case over a
    /// count interval and the rare values' possible range (see
    /// `Estimate.rareEventMean`). Valid and conservative.
    case rareEventsConservative = "rare-events-conservative"
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
    /// What a reader of the interval should know: a conservative form, a
    /// replaced count interval.
    public var notes: [String]
    /// How many rare events (hits, rewarded checkpoints, flips, values near
    /// the top of their range) the interval rule counted; nil where the
    /// estimator has none.
    public var rareEvents: UInt64?

    public var halfWidth: Double { (high - low) / 2 }

    public init(value: Double, standardError: Double, low: Double, high: Double,
                level: Double, method: IntervalMethod, samples: UInt64, notes: [String] = [], rareEvents: UInt64? = nil) {
        self.value = value
        self.standardError = standardError
        self.low = low
        self.high = high
        self.level = level
        self.method = method
        self.samples = samples
        self.notes = notes
        self.rareEvents = rareEvents
    }

    /// z = (estimate - exact) / standard error; nil when either is unavailable.
    public func z(against exact: Double?) -> Double? {
        guard let exact, standardError > 0 else { return nil }
        return (value - exact) / standardError
    }

    public func contains(_ x: Double) -> Bool { low <= x && x <= high }

    /// This estimate of a per-part mean as one of f parts' total (f > 0):
    /// `value` is the total's own point estimate (the same up to rounding)
    /// and `samples` the count of wholes.
    public func scaled(by f: Double, samples: UInt64, value: Double) -> Estimate {
        var e = self
        let shift = value - self.value * f
        e.value = value
        e.low = low * f + shift
        e.high = high * f + shift
        e.standardError *= f
        e.samples = samples
        return e
    }

    /// The Student-t interval for a sample mean.
    ///
    /// A zero sample variance gives a zero-width interval only when the
    /// model says every sample has this value: `possibleValues`, when given,
    /// is the range of values a sample can take, and if it reaches beyond
    /// the mean, every sample so far merely fell in one value while rare
    /// others have not happened yet. The interval then reaches toward the
    /// range's ends by the Clopper-Pearson bound 1 - (alpha/2)^(1/n) on the
    /// unseen values' total frequency (method `unseen-classes`).
    public static func studentT(mean: Double, variance: Double, samples: UInt64, level: Double,
                                possibleValues: ClosedRange<Double>? = nil) throws -> Estimate {
        guard samples >= 2 else {
            throw RewardBitsError.invalidInput("a confidence interval needs at least 2 samples (got \(samples))")
        }
        let variance = max(variance, 0)
        let se = (variance / Double(samples)).squareRoot()
        if se == 0, let range = possibleValues, range.lowerBound < mean || range.upperBound > mean {
            let unseen = unseenShare(samples: samples, level: level)
            return Estimate(value: mean, standardError: 0,
                            low: mean + unseen * min(0, range.lowerBound - mean),
                            high: mean + unseen * max(0, range.upperBound - mean),
                            level: level, method: .unseenClasses, samples: samples)
        }
        if se == 0 {
            return Estimate(value: mean, standardError: 0, low: mean, high: mean,
                            level: level, method: .zeroVariance, samples: samples)
        }
        let t = try GSL.studentTQuantile((1 + level) / 2, degreesOfFreedom: Double(samples - 1))
        return Estimate(value: mean, standardError: se, low: mean - t * se, high: mean + t * se,
                        level: level, method: .studentT, samples: samples)
    }

    /// Bounds on a binomial proportion from k successes in n trials.
    public enum BinomialInterval: Sendable, Equatable {
        case wilson, clopperPearson, blaker
        /// Stevens (1950): the interval of `randomizedClopperPearson` with
        /// this auxiliary uniform in (0, 1).
        case randomized(uniform: Double)
    }

    /// The Clopper-Pearson interval for p from k successes in n trials: the
    /// lower bound solves P(X >= k; p) = I_p(k, n - k + 1) = alpha/2 and the
    /// upper bound P(X <= k; p) = 1 - I_p(k + 1, n - k) = alpha/2, each by
    /// bisection on log p over GSL's incomplete beta function (GSL's own
    /// inverse fails for large n). Its coverage is at least the level for every
    /// p, which matters when successes are rare. Nil where GSL cannot evaluate
    /// the tails (k and n - k both in the millions: the normal limit applies).
    public static func clopperPearson(successes k: UInt64, trials n: UInt64, level: Double) -> (Double, Double)? {
        let tail = (1 - level) / 2
        let tails = BinomialTails(trials: n)
        var low = 0.0, high = 1.0
        if k > 0 {
            guard let root = crossing(tail, increasing: true, { tails.atLeast(k, p: $0) }) else { return nil }
            low = root
        }
        if k < n {
            guard let root = crossing(tail, increasing: false, { tails.atMost(k, p: $0) }) else { return nil }
            high = root
        }
        return (low, high)
    }

    /// The p in (0, 1) where `f`, monotone in p, crosses `target`: bisection
    /// on log p down to 1e-14, nil where `f` cannot be evaluated.
    static func crossing(_ target: Double, increasing: Bool, _ f: (Double) -> Double?) -> Double? {
        var lo = -745.0, hi = 0.0  // log p
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            guard let value = f(exp(mid)) else { return nil }
            if (value < target) == increasing { lo = mid } else { hi = mid }
            if hi - lo < 1e-14 { break }
        }
        return exp((lo + hi) / 2)
    }

    /// Stevens' randomized interval for p from k successes in n trials and an
    /// independent U ~ Uniform(0, 1): the lower bound solves
    /// (1 - U) P(X > k) + U P(X >= k) = alpha/2 and the upper bound
    /// U P(X < k) + (1 - U) P(X <= k) = alpha/2. Each failure event then has
    /// probability exactly alpha/2 over (X, U), so coverage is exactly the
    /// level for every p, where a non-randomized interval over-covers in steps
    /// when np is small (at np = 0.1 no k-only interval can cover between
    /// 91% and 99.5%). Nil where GSL cannot evaluate the tails.
    public static func randomizedClopperPearson(successes k: UInt64, trials n: UInt64, level: Double,
                                                uniform u: Double) -> (Double, Double)? {
        let tail = (1 - level) / 2
        let tails = BinomialTails(trials: n)
        func lowerTail(_ p: Double) -> Double? {
            guard let above = tails.atLeast(k + 1, p: p), let atLeast = tails.atLeast(k, p: p) else { return nil }
            return (1 - u) * above + u * atLeast
        }
        func upperTail(_ p: Double) -> Double? {
            guard let below = k == 0 ? 0 : tails.atMost(k - 1, p: p), let atMost = tails.atMost(k, p: p) else { return nil }
            return u * below + (1 - u) * atMost
        }
        var low = 0.0, high = 1.0
        // The lower tail increases from U 1{k = 0} at p = 0; the upper tail decreases to (1 - U) 1{k = n} at p = 1.
        guard let atZero = lowerTail(0), let atOne = upperTail(1) else { return nil }
        if atZero < tail {
            guard let root = crossing(tail, increasing: true, lowerTail) else { return nil }
            low = root
        }
        if atOne < tail {
            guard let root = crossing(tail, increasing: false, upperTail) else { return nil }
            high = root
        }
        return (low, max(low, high))
    }

    /// Wilson's score interval for p from k successes in n trials.
    public static func wilson(successes k: UInt64, trials n: UInt64, level: Double) throws -> (Double, Double) {
        let nd = Double(n)
        let pHat = Double(k) / nd
        let z = try GSL.normalQuantile((1 + level) / 2)
        let z2 = z * z
        let denominator = 1 + z2 / nd
        let center = (pHat + z2 / (2 * nd)) / denominator
        let spread = z / denominator * (pHat * (1 - pHat) / nd + z2 / (4 * nd * nd)).squareRoot()
        return (k == 0 ? 0 : max(0, center - spread), k == n ? 1 : min(1, center + spread))
    }

    /// The interval on p from k successes in n trials that `interval` names,
    /// and the method that gave it: Blaker falls back to Clopper-Pearson,
    /// and every exact interval to Wilson's, where GSL cannot evaluate the
    /// binomial tails (k and n - k both in the millions).
    static func proportionInterval(successes k: UInt64, trials n: UInt64, level: Double,
                                   interval: BinomialInterval) throws -> ((Double, Double), IntervalMethod) {
        switch interval {
        case .wilson:
            break
        case .clopperPearson:
            if let exact = clopperPearson(successes: k, trials: n, level: level) { return (exact, .clopperPearson) }
        case .blaker:
            if let exact = blaker(successes: k, trials: n, level: level) { return (exact, .blaker) }
            if let exact = clopperPearson(successes: k, trials: n, level: level) { return (exact, .clopperPearson) }
        case .randomized(let u):
            if let exact = randomizedClopperPearson(successes: k, trials: n, level: level, uniform: u) {
                return (exact, .randomizedClopperPearson)
            }
        }
        return (try wilson(successes: k, trials: n, level: level), .wilson)
    }

    /// Clopper-Pearson's upper bound on the total frequency of values not
    /// seen in n samples, 1 - (alpha/2)^(1/n) in closed form: how far an
    /// interval reaches toward possible values that have not happened yet.
    static func unseenShare(samples n: UInt64, level: Double) -> Double {
        -expm1(log((1 - level) / 2) / Double(n))
    }

    /// The interval for an estimator that equals offset + slope * (k / n),
    /// k ~ Binomial(n, p): an interval for p mapped affinely. It keeps its
    /// width when k = 0, which is what rare successes need.
    public static func affineBinomial(
        offset: Double, slope: Double, successes k: UInt64, trials n: UInt64,
        samples: UInt64, level: Double, interval: BinomialInterval = .blaker
    ) throws -> Estimate {
        precondition(n > 0 && k <= n)
        let nd = Double(n)
        let pHat = Double(k) / nd
        let value = offset + slope * pHat
        if slope == 0 {
            return Estimate(value: value, standardError: 0, low: value, high: value,
                            level: level, method: .zeroVariance, samples: samples)
        }
        let (bounds, method) = try proportionInterval(successes: k, trials: n, level: level, interval: interval)
        let (pLow, pHigh) = bounds
        let a = offset + slope * pLow
        let b = offset + slope * pHigh
        let se = abs(slope) * (pHat * (1 - pHat) / nd).squareRoot()
        var notes: [String] = []
        if method != interval.method {
            notes.append("the \(interval.method.rawValue) interval on the count could not be evaluated (k = \(k), n = \(n)); used \(method.rawValue)")
        }
        return Estimate(value: value, standardError: se, low: min(a, b), high: max(a, b),
                        level: level, method: method, samples: samples, notes: notes, rareEvents: k)
    }

    /// The estimate of a mean from exact counts per value class with no
    /// rare events: `rareEventMean` with every class in one stratum
    /// (Student-t, or a reach toward possible classes not seen yet, or zero
    /// width when no other class is possible).
    public static func classMean(_ counts: ClassCounts, values: [Double], possible: [Bool], level: Double) throws -> Estimate {
        try rareEventMean(counts, values: values, possible: possible, rare: values.map { _ in false }, level: level)
    }
}
