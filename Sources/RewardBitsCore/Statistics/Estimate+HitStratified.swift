import Foundation

extension Estimate {
    /// The estimate of a mean from exact class counts when some classes are
    /// rare hits (S among the rollouts) that carry most of the mean: the
    /// pointwise estimators under a uniform prior, where V = 2^20 means one
    /// hit per million rollouts.
    ///
    /// The sample mean is split by the hit indicator,
    /// mean = (k/n) hbar + (1 - k/n) mbar, with k ~ Binomial(n, p) hits, hbar
    /// the mean value of the hits and mbar that of the misses. By the law of
    /// total variance its error has three parts, and each side of the
    /// interval adds their half-widths in quadrature:
    /// - the hit count: the binomial interval [pL, pU] on p (`interval`,
    ///   Blaker by default) moves the mean by (pU - k/n)(hbar - mbar) up and
    ///   (k/n - pL)(hbar - mbar) down (sides swapped when hbar < mbar). With
    ///   no hit yet, hbar is unknown and each side takes the most extreme
    ///   possible hit value in its direction, so the interval keeps the width
    ///   pU (h - mbar) when no rare event has happened (DESIGN.md section 2);
    /// - the hits' own spread: k/n times the Student-t half-width of hbar over
    ///   the k hits (k >= 2 with spread), or, when every hit so far has one
    ///   value although other hit values are possible, k/n times the
    ///   Clopper-Pearson upper bound 1 - (alpha/2)^(1/k) on the unseen hit
    ///   values' share times the distance to them;
    /// - the misses' spread: the Student-t half-width of their mean, scaled by
    ///   (n - k)/n, with the same unseen-class extension.
    /// For many hits this is the usual normal interval; with a single hit
    /// value and a single miss value it is the count interval mapped affinely.
    /// The standard error reported is the plug-in one,
    /// sqrt(phat (1 - phat) (hbar - mbar)^2 / n + within-class variance / n),
    /// and 0 before the first hit.
    public static func hitStratifiedMean(
        _ counts: ClassCounts, values: [Double], possible: [Bool], hit: [Bool], level: Double,
        interval: BinomialInterval = .blaker
    ) throws -> Estimate {
        precondition(values.count == counts.counts.count && possible.count == values.count && hit.count == values.count)
        let n = counts.total
        guard n >= 1 else {
            throw RewardBitsError.invalidInput("a confidence interval needs at least 1 sample (got 0)")
        }
        let (mean, _) = counts.moments(values: values)
        let tail = (1 - level) / 2

        /// The mean, spread and possible range of one stratum (hits or misses).
        struct Stratum {
            var count: UInt64 = 0
            var mean = 0.0
            var variance = 0.0
            var observedValues = 0
            var possibleLow = Double.infinity
            var possibleHigh = -Double.infinity
        }
        func stratum(_ member: (Int) -> Bool) -> Stratum {
            var s = Stratum()
            var members = counts
            for c in values.indices {
                guard member(c) else { members.counts[c] = 0; continue }
                if possible[c] || counts.counts[c] > 0 {
                    s.possibleLow = min(s.possibleLow, values[c])
                    s.possibleHigh = max(s.possibleHigh, values[c])
                }
            }
            s.count = members.total
            guard s.count > 0 else { return s }
            s.observedValues = Set(values.indices.filter { members.counts[$0] > 0 }.map { values[$0] }).count
            (s.mean, s.variance) = members.moments(values: values)
            return s
        }
        /// Half-widths (down, up) of a stratum's mean.
        func spread(_ s: Stratum) throws -> (Double, Double) {
            guard s.count > 0 else { return (0, 0) }
            if s.observedValues == 1 {
                let unseen = unseenShare(samples: s.count, level: level)
                return (unseen * max(0, s.mean - s.possibleLow), unseen * max(0, s.possibleHigh - s.mean))
            }
            let t = try GSL.studentTQuantile(1 - tail, degreesOfFreedom: Double(s.count - 1))
            let half = t * (s.variance / Double(s.count)).squareRoot()
            return (min(half, s.mean - s.possibleLow), min(half, s.possibleHigh - s.mean))
        }

        let hits = stratum { hit[$0] }
        let misses = stratum { !hit[$0] }
        let k = hits.count
        let nd = Double(n)
        let pHat = Double(k) / nd
        let ((pLow, pHigh), _) = try proportionInterval(successes: k, trials: n, level: level, interval: interval)

        var countDown = 0.0, countUp = 0.0
        var gap = 0.0
        if k == 0 {
            if hits.possibleLow <= hits.possibleHigh {
                countUp = pHigh * max(0, hits.possibleHigh - misses.mean)
                countDown = pHigh * max(0, misses.mean - hits.possibleLow)
            }
        } else if k == n {
            if misses.possibleLow <= misses.possibleHigh {
                // Every sample a hit: the misses are the unseen side.
                countUp = (1 - pLow) * max(0, misses.possibleHigh - hits.mean)
                countDown = (1 - pLow) * max(0, hits.mean - misses.possibleLow)
            }
        } else {
            gap = hits.mean - misses.mean
            countUp = gap >= 0 ? (pHigh - pHat) * gap : (pHat - pLow) * -gap
            countDown = gap >= 0 ? (pHat - pLow) * gap : (pHigh - pHat) * -gap
        }
        let (hitDown, hitUp) = try spread(hits)
        let (missDown, missUp) = try spread(misses)
        let hitScale = pHat, missScale = Double(n - k) / nd
        let down = (countDown * countDown + pow(hitScale * hitDown, 2) + pow(missScale * missDown, 2)).squareRoot()
        let up = (countUp * countUp + pow(hitScale * hitUp, 2) + pow(missScale * missUp, 2)).squareRoot()

        let within = (Double(k) * hits.variance + Double(n - k) * misses.variance) / nd
        // With no hit yet the plug-in error is the misses' alone, which says
        // nothing about the hits: report 0 (z null), as the count interval
        // does at k = 0; the interval carries the uncertainty.
        let se = k == 0 ? 0 : ((pHat * (1 - pHat) * gap * gap + within) / nd).squareRoot()
        if down == 0 && up == 0 {
            return Estimate(value: mean, standardError: 0, low: mean, high: mean,
                            level: level, method: .zeroVariance, samples: n)
        }
        return Estimate(value: mean, standardError: se, low: mean - down, high: mean + up,
                        level: level, method: .hitStratified, samples: n)
    }
}
