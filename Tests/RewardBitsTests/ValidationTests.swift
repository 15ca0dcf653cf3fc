import Foundation
import Testing
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
        let cp = try Coverage.clopperPearsonCoverage(p: p, trials: UInt64(n), level: 0.95)
        #expect(abs(cp - (pmf[0] + pmf[1])) < 1e-12)
        #expect(!(try Coverage.countIntervalCanReach(Coverage.band(replicates: 2000), p: p, trials: UInt64(n))))
        #expect(try Coverage.countIntervalCanReach(Coverage.band(replicates: 2000), p: 0.05, trials: UInt64(n)))
    }

    @Test("Clopper-Pearson coverage is at least the level for every p", arguments: [1e-6, 1e-4, 3e-3, 0.05, 0.5])
    func clopperPearsonIsConservative(p: Double) throws {
        for n in [UInt64(100), 10_000, 1_000_000] {
            let coverage = try Coverage.clopperPearsonCoverage(p: p, trials: n, level: 0.95)
            #expect(coverage >= 0.95 - 1e-9 && coverage <= 1, "n = \(n), p = \(p): \(coverage)")
        }
    }

    /// The fast tier of `rewardbits validate coverage`: every row at 200
    /// replicates (fixed seeds). A row passes when its coverage lies within
    /// 3 binomial standard deviations of 0.95 or, for count-based
    /// intervals, of the interval's own exact coverage.
    @Test("coverage study, fast tier (200 replicates per row)")
    func coverageFastTier() throws {
        let rows = try Coverage.rows(quick: true)
        #expect(rows.count >= 30)
        for row in rows {
            let r = try Coverage.run(row, replicates: 200, baseSeed: 1, threads: 2)
            #expect(r.replicates == 200)
            if let matches = r.matchesExactCoverage {
                #expect(matches, "\(r.row): coverage \(r.fraction), exact \(r.exactCoverage!)")
            } else {
                #expect(r.inBand, "\(r.row): coverage \(r.fraction) outside \(r.band)")
            }
        }
    }
}
