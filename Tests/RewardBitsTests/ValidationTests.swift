import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// The error bars themselves: the fast tier of the coverage study and the
/// intervals it relies on.
@Suite("validation")
struct ValidationTests {
    /// P(X = k), P(X > k) and P(X < k) for X ~ Binomial(n, p), summed
    /// directly (independent of the incomplete-beta code under test).
    static func binomial(_ n: Int, _ p: Double) -> [Double] {
        let logN: Double = Foundation.lgamma(Double(n + 1))
        return (0...n).map { (k: Int) -> Double in
            let logChoose: Double = logN - Foundation.lgamma(Double(k + 1)) - Foundation.lgamma(Double(n - k + 1))
            let logMass: Double = logChoose + Double(k) * log(p) + Double(n - k) * log1p(-p)
            return exp(logMass)
        }
    }

    /// Stevens' interval contains p exactly when both randomized tails at p
    /// reach alpha/2: P(X > k) + U P(X = k) >= alpha/2 and
    /// P(X < k) + (1 - U) P(X = k) >= alpha/2. Summed over k and integrated
    /// over U that is exactly the level, which is the point of the interval.
    @Test("the randomized Clopper-Pearson interval contains p exactly when its tails say so",
          arguments: [(200, 0.01), (1000, 0.0005), (50, 0.3), (30, 0.97)])
    func randomizedIntervalAgreesWithItsTails(n: Int, p: Double) throws {
        let pmf = Self.binomial(n, p)
        let alpha = 0.05
        var checked = 0
        for k in 0...min(n, 40) {
            let above = pmf[(k + 1)...].reduce(0, +)
            let below = pmf[..<k].reduce(0, +)
            for step in 0..<40 {
                let u = (Double(step) + 0.5) / 40
                let lowerTail = above + u * pmf[k]
                let upperTail = below + (1 - u) * pmf[k]
                // Too close to a boundary to decide in floating point.
                guard abs(lowerTail - alpha / 2) > 1e-9, abs(upperTail - alpha / 2) > 1e-9 else { continue }
                let (low, high) = try #require(Estimate.randomizedClopperPearson(
                    successes: UInt64(k), trials: UInt64(n), level: 1 - alpha, uniform: u))
                let inside = low <= p && p <= high
                #expect(inside == (lowerTail >= alpha / 2 && upperTail >= alpha / 2),
                        "k = \(k), U = \(u): [\(low), \(high)] vs p = \(p)")
                checked += 1
            }
        }
        #expect(checked > 500)
    }

    @Test("the randomized interval covers exactly 95% where Clopper-Pearson over-covers")
    func randomizedCoverage() throws {
        // n p = 0.2: P(k = 0) = 0.82, so every interval monotone in k covers
        // 0.82 or at least 0.98 (Clopper-Pearson: 0.9825).
        let n = 1000, p = 0.0002
        let pmf = Self.binomial(n, p)
        let grid = 200
        var coverage = 0.0
        for k in 0...12 {
            var inside = 0
            for step in 0..<grid {
                let u = (Double(step) + 0.5) / Double(grid)
                let (low, high) = try #require(Estimate.randomizedClopperPearson(
                    successes: UInt64(k), trials: UInt64(n), level: 0.95, uniform: u))
                if low <= p && p <= high { inside += 1 }
            }
            coverage += pmf[k] * Double(inside) / Double(grid)
        }
        // For each k the covering U form one interval, so a midpoint grid
        // errs by at most one cell per k; P(k > 12) is below 1e-20.
        #expect(abs(coverage - 0.95) <= 1.0 / Double(grid))
        let cp = try Coverage.countIntervalCoverage(p: p, trials: UInt64(n), level: 0.95, interval: .clopperPearson)
        #expect(abs(cp - (pmf[0] + pmf[1])) < 1e-12)
        #expect(!(try Coverage.countIntervalCanReach(Coverage.band(replicates: 2000), p: p, trials: UInt64(n))))
        #expect(try Coverage.countIntervalCanReach(Coverage.band(replicates: 2000), p: 0.05, trials: UInt64(n)))
    }

    @Test("Blaker and Clopper-Pearson coverage is at least the level for every p, Blaker's never above Clopper-Pearson's",
          arguments: [1e-6, 1e-4, 3e-3, 0.05, 0.5, 0.9])
    func exactIntervalsAreConservative(p: Double) throws {
        // Every k in the support costs one interval: n = 10^6 only where n p is small.
        for n in [UInt64(100), 10_000] + (p < 1e-3 ? [1_000_000] : []) {
            let cp = try Coverage.countIntervalCoverage(p: p, trials: n, level: 0.95, interval: .clopperPearson)
            let blaker = try Coverage.countIntervalCoverage(p: p, trials: n, level: 0.95, interval: .blaker)
            #expect(cp >= 0.95 - 1e-9 && cp <= 1 + 1e-12, "n = \(n), p = \(p): Clopper-Pearson \(cp)")
            #expect(blaker >= 0.95 - 1e-9 && blaker <= cp + 1e-12, "n = \(n), p = \(p): Blaker \(blaker), CP \(cp)")
        }
    }

    /// At p = 1/2 the outcome n - k ties with k; rounding in the two tails
    /// once broke the tie and excluded p = 1/2 from the interval of k = n/2.
    @Test("Blaker intervals at p = 1/2 for large n: symmetric, and the mirror outcome ties with k")
    func blakerSymmetry() throws {
        for (k, n) in [(UInt64(500_000), UInt64(1_000_000)), (499_000, 1_000_000), (501_000, 1_000_000), (5_000, 10_000)] {
            let (low, high) = try #require(Estimate.blaker(successes: k, trials: n, level: 0.95))
            let (mirrorLow, mirrorHigh) = try #require(Estimate.blaker(successes: n - k, trials: n, level: 0.95))
            #expect(abs(low - (1 - mirrorHigh)) < 1e-9 && abs(high - (1 - mirrorLow)) < 1e-9, "k = \(k), n = \(n)")
            if k * 2 == n { #expect(low < 0.5 && high > 0.5) }
        }
        // At p = 1/2 the acceptability of k < n/2 is exactly 2 P(X <= k), so
        // 1/2 is in the interval of k exactly when 2 P(X <= k) > alpha.
        // The window holds the k where that changes (about n/2 - 980).
        let n: UInt64 = 1_000_000
        var checked = 0
        for k in stride(from: UInt64(498_900), to: 499_120, by: 1) {
            let twoTails = 2 * (try #require(GSL.betaUpperCDF(0.5, a: Double(k) + 1, b: Double(n - k))))
            guard abs(twoTails - 0.05) > 1e-7 else { continue }
            let (low, high) = try #require(Estimate.blaker(successes: k, trials: n, level: 0.95))
            #expect((low <= 0.5 && 0.5 <= high) == (twoTails > 0.05), "k = \(k): 2 P(X <= k) = \(twoTails), [\(low), \(high)]")
            checked += 1
        }
        #expect(checked > 200)
    }

    /// Blaker's acceptability from the definition, by summing the pmf: the
    /// probability of the outcomes whose smaller tail is at most k's.
    static func acceptability(k: Int, n: Int, p: Double) -> Double {
        let pmf = binomial(n, p)
        var cdf = [Double](), total = 0.0
        for m in pmf { total += m; cdf.append(total) }
        func smallerTail(_ x: Int) -> Double { min(cdf[x], 1 - (x > 0 ? cdf[x - 1] : 0)) }
        let gamma = smallerTail(k) * (1 + 1e-9)
        return (0...n).filter { smallerTail($0) <= gamma }.map { pmf[$0] }.reduce(0, +)
    }

    @Test("Blaker bounds: the acceptability crosses alpha there, nothing between them and Clopper-Pearson is accepted",
          arguments: [(20, 0), (20, 3), (20, 10), (20, 20), (60, 1), (60, 17), (200, 2)])
    func blakerBounds(n: Int, k: Int) throws {
        let (low, high) = try #require(Estimate.blaker(successes: UInt64(k), trials: UInt64(n), level: 0.95))
        let (cpLow, cpHigh) = try #require(Estimate.clopperPearson(successes: UInt64(k), trials: UInt64(n), level: 0.95))
        #expect(cpLow <= low && low <= high && high <= cpHigh)
        #expect(k == 0 ? low == 0 : low > 0)
        #expect(k == n ? high == 1 : high < 1)
        #expect(high > low, "never zero-width")
        let alpha = 0.05
        if k > 0 {
            #expect(Self.acceptability(k: k, n: n, p: low * (1 + 1e-7)) > alpha)
            #expect(Self.acceptability(k: k, n: n, p: low * (1 - 1e-7)) <= alpha)
            for i in 0..<400 {
                let p = cpLow + (low - cpLow) * (Double(i) + 0.5) / 400
                #expect(Self.acceptability(k: k, n: n, p: p) <= alpha, "accepted p = \(p) below the lower bound \(low)")
            }
        }
        if k < n {
            #expect(Self.acceptability(k: k, n: n, p: high * (1 - 1e-7)) > alpha)
            #expect(Self.acceptability(k: k, n: n, p: high * (1 + 1e-7)) <= alpha)
            for i in 0..<400 {
                let p = high + (cpHigh - high) * (Double(i) + 0.5) / 400
                #expect(Self.acceptability(k: k, n: n, p: p) <= alpha, "accepted p = \(p) above the upper bound \(high)")
            }
        }
    }

    /// The fast tier of `rewardbits validate coverage`: every row at 200
    /// replicates (fixed seeds). A row passes when its coverage lies within
    /// 3 binomial standard deviations of 0.95 or, for count-based
    /// intervals, of the interval's own exact coverage; where no interval on
    /// the rare count can reach the band and no exact coverage is known, it
    /// must not under-cover (at least the band's lower end).
    @Test("coverage study, fast tier (200 replicates per row)")
    func coverageFastTier() throws {
        let rows = try Coverage.rows(quick: true)
        #expect(rows.count >= 30)
        for row in rows {
            let r = try Coverage.run(row, replicates: 200, baseSeed: 1, threads: 2)
            #expect(r.replicates == 200)
            if let matches = r.matchesExactCoverage {
                #expect(matches, "\(r.row): coverage \(r.fraction), exact \(r.exactCoverage!)")
            } else if r.bandReachable == false {
                #expect(r.fraction >= r.band.lowerBound, "\(r.row): coverage \(r.fraction) below \(r.band)")
            } else {
                #expect(r.inBand, "\(r.row): coverage \(r.fraction) outside \(r.band)")
            }
        }
    }
}
