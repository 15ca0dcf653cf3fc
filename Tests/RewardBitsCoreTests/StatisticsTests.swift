import Foundation
import Testing
import RewardBitsTestSupport
import RewardBitsCore

@Suite("statistics layer")
struct StatisticsTests {
    @Test("GSL quantiles")
    func quantiles() throws {
        #expect(try GSL.studentTQuantile(0.975, degreesOfFreedom: 10) == 2.2281388519862735)
        #expect(abs(try GSL.normalQuantile(0.975) - 1.959963984540054) < 1e-14)
        #expect(abs(try GSL.studentTQuantile(0.975, degreesOfFreedom: 1e9) - 1.959963984540054) < 1e-8)
        #expect(throws: RewardBitsError.self) { try GSL.studentTQuantile(1.5, degreesOfFreedom: 3) }
        #expect(abs(try GSL.logChoose(10, 3) - log(120)) < 1e-12)
    }

    @Test("class counts give the exact mean and variance")
    func classCounts() {
        var a = ClassCounts(classes: 3)
        a.counts = [5, 0, 7]
        var b = ClassCounts(classes: 3)
        b.counts = [1, 2, 0]
        a.merge(b)
        let values = [1.0, 2.5, -3.0]
        var samples: [Double] = []
        for (c, n) in a.counts.enumerated() { samples += [Double](repeating: values[c], count: Int(n)) }
        let mean = samples.reduce(0, +) / Double(samples.count)
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count - 1)
        let (m, v) = a.moments(values: values)
        #expect(abs(m - mean) < 1e-14)
        #expect(abs(v - variance) < 1e-13)
    }

    @Test("count moments: covariances from exact integer sums")
    func countMoments() {
        var moments = CountMoments(dimensions: 3)
        var rows: [[UInt64]] = []
        var state: UInt64 = 7
        for _ in 0..<1000 {
            var row: [UInt64] = []
            for _ in 0..<3 {
                state = SplitMix64.mix(state)
                row.append(state % 300)
            }
            rows.append(row)
            row.withUnsafeBufferPointer { moments.add($0.baseAddress!) }
        }
        func mean(_ c: Int) -> Double { rows.map { Double($0[c]) }.reduce(0, +) / 1000 }
        for c in 0..<3 {
            for d in 0..<3 {
                let direct = rows.map { (Double($0[c]) - mean(c)) * (Double($0[d]) - mean(d)) }.reduce(0, +) / 999
                #expect(abs(moments.covariance(c, d) - direct) < 1e-9 * max(1, abs(direct)))
            }
        }
        let (m, v) = moments.affineMoments(offset: 2, coefficients: [1, -0.5, 0.25])
        let values = rows.map { 2 + Double($0[0]) - 0.5 * Double($0[1]) + 0.25 * Double($0[2]) }
        let vm = values.reduce(0, +) / 1000
        #expect(abs(m - vm) < 1e-12)
        #expect(abs(v - values.map { ($0 - vm) * ($0 - vm) }.reduce(0, +) / 999) < 1e-8)
    }

    @Test("count moments do not overflow with 10^13 samples of large counts")
    func largeCounts() {
        // Synthetic merge: 2^44 samples of constant counts (2^16, 2^15).
        var moments = CountMoments(dimensions: 2)
        let perBlock: UInt64 = 1 << 20
        var block = CountMoments(dimensions: 2)
        block.samples = perBlock
        block.sums = [UInt128(perBlock) << 16, UInt128(perBlock) << 15]
        block.products = [UInt128(perBlock) << 32, UInt128(perBlock) << 31, UInt128(perBlock) << 30]
        for _ in 0..<(1 << 24) { moments.merge(block) }
        #expect(moments.samples == 1 << 44)
        #expect(moments.mean(0) == 65536)
        #expect(moments.covariance(0, 0) == 0)
        #expect(moments.covariance(0, 1) == 0)
    }

    @Test("class counts, moments and ratio sums merge exactly past 10^13 samples")
    func largeMerges() {
        // 2^23 blocks of 2^20 samples: 8.8e12 samples in all.
        let blocks = 1 << 23, perBlock = 1 << 20
        var classes = ClassCounts(classes: 3)
        var block = ClassCounts(classes: 3)
        block.counts = [UInt64(perBlock) - 3, 1, 2]
        var moments = Moments(center: 0.2)
        var blockMoments = Moments(center: 0.2)
        // Half the samples at 0.1, half at 0.3: mean 0.2, variance 0.01.
        for i in 0..<perBlock { blockMoments.add(i % 2 == 0 ? 0.1 : 0.3) }
        var ratio = RatioMoments()
        var blockRatio = RatioMoments()
        for i in 0..<1024 { blockRatio.add(information: 10, rollouts: UInt64(1000 + i % 2)) }
        for _ in 0..<blocks {
            classes.merge(block)
            moments.merge(blockMoments)
            ratio.merge(blockRatio)
        }
        let n = UInt64(blocks) * UInt64(perBlock)
        #expect(classes.total == n)
        #expect(classes.counts == [n - 3 * UInt64(blocks), UInt64(blocks), 2 * UInt64(blocks)])
        #expect(moments.count == n)
        #expect(abs(moments.mean - 0.2) < 1e-15)
        #expect(abs(moments.variance - 0.01) < 1e-12)
        #expect(ratio.count == UInt64(blocks) * 1024)
        #expect(ratio.rollouts == UInt64(blocks) * 512 * 2001)
        #expect(ratio.rolloutSquares == UInt128(blocks) * 512 * (1000 * 1000 + 1001 * 1001))
        #expect(ratio.information.value == 10 * Double(blocks) * 1024)
    }

    /// The rare-event interval reduces to the affinely mapped count
    /// interval when hits and misses each have one value, keeps a width
    /// reaching the most extreme possible hit value before the first hit,
    /// and is the normal interval of the law of total variance for many hits.
    @Test("rare-event interval: count interval limit, no hit yet, many hits")
    func rareEventStratified() throws {
        // One miss value (0.25) and one hit value (10): affine in k.
        var counts = ClassCounts(classes: 2)
        counts.counts = [99_990, 10]
        let stratified = try Estimate.rareEventMean(counts, values: [0.25, 10], possible: [true, true],
                                                    rare: [false, true], level: 0.95)
        let affine = try Estimate.affineBinomial(offset: 0.25, slope: 9.75, successes: 10, trials: 100_000,
                                                 samples: 100_000, level: 0.95)
        #expect(stratified.method == .rareEventStratified)
        #expect(abs(stratified.low - affine.low) <= 1e-12 * abs(affine.low))
        #expect(abs(stratified.high - affine.high) <= 1e-12 * abs(affine.high))
        #expect(abs(stratified.value - affine.value) <= 1e-15)

        // No hit yet among 1e5, hit values +-3 possible, misses 0 and 1e-6:
        // each side reaches pU (h - mbar) for its extreme hit value.
        var none = ClassCounts(classes: 4)
        none.counts = [90_000, 0, 10_000, 0]
        let values = [1e-6, 3, 0, -3]
        let zero = try Estimate.rareEventMean(none, values: values, possible: [true, true, true, true],
                                              rare: [false, true, false, true], level: 0.95)
        // Hit values can vary (+-3): before the first hit the interval takes
        // the worst one (conservative, with a note).
        let (_, pHigh) = try #require(Estimate.blaker(successes: 0, trials: 100_000, level: 0.95))
        #expect(zero.method == .rareEventsConservative && zero.notes.count == 1)
        let mbar = 0.9e-6
        #expect(zero.high - zero.value >= pHigh * (3 - mbar))
        #expect(zero.value - zero.low >= pHigh * (3 + mbar))
        #expect(zero.high - zero.value < 1.01 * pHigh * (3 - mbar))
        #expect(zero.standardError == 0)

        // Many hits: half-widths close to t times the total-variance se.
        var many = ClassCounts(classes: 4)
        many.counts = [800_000, 180_000, 2_000, 18_000]
        let e = try Estimate.rareEventMean(many, values: values, possible: [true, true, true, true],
                                           rare: [false, true, false, true], level: 0.95)
        let (mean, variance) = many.moments(values: values)
        let se = (variance / 1e6).squareRoot()
        #expect(abs(e.value - mean) < 1e-15)
        #expect(abs(e.standardError - se) < 1e-3 * se)
        #expect(abs((e.high - e.low) / 2 - 1.96 * se) < 0.02 * 1.96 * se)
    }

    @Test("count intervals keep their width with zero successes and map affinely")
    func countIntervals() throws {
        let e = try Estimate.affineBinomial(offset: 1, slope: 2, successes: 0, trials: 100_000, samples: 100_000, level: 0.95,
                                            interval: .wilson)
        #expect(e.value == 1)
        #expect(e.low == 1)
        #expect(e.high > 1 + 2 * 3.0 / 100_000)
        let negative = try Estimate.affineBinomial(offset: 1, slope: -2, successes: 50, trials: 100, samples: 100, level: 0.95)
        #expect(negative.low < 0 && negative.high > 0 && negative.low < negative.high)
        // Clopper-Pearson at k = 0: the upper bound solves (1 - p)^n = alpha/2.
        let (low, high) = try #require(Estimate.clopperPearson(successes: 0, trials: 1000, level: 0.95))
        #expect(low == 0)
        #expect(abs(high - (1 - pow(0.025, 1.0 / 1000))) < 1e-12)
        // Symmetry, and agreement with the exact binomial tails.
        let (l7, h7) = try #require(Estimate.clopperPearson(successes: 7, trials: 20, level: 0.9))
        let (l13, h13) = try #require(Estimate.clopperPearson(successes: 13, trials: 20, level: 0.9))
        #expect(abs(l7 - (1 - h13)) < 1e-12 && abs(h7 - (1 - l13)) < 1e-12)
        func binomialTail(atLeast k: Int, n: Int, p: Double) -> Double {
            var sum = 0.0
            for j in k...n {
                let logChoose = lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1))
                let logTerm: Double = logChoose + Double(j) * log(p) + Double(n - j) * log1p(-p)
                sum += exp(logTerm)
            }
            return sum
        }
        #expect(abs(binomialTail(atLeast: 7, n: 20, p: l7) - 0.05) < 1e-10)
        #expect(abs((1 - binomialTail(atLeast: 8, n: 20, p: h7)) - 0.05) < 1e-10)
        // Large n and rare successes still work (GSL's own inverse fails here).
        let rare = try #require(Estimate.clopperPearson(successes: 933, trials: 1_000_000, level: 0.95))
        #expect(rare.0 < 933e-6 && rare.1 > 933e-6)
        let (wl, wh) = try Estimate.wilson(successes: 0, trials: 1000, level: 0.95)
        #expect(wl == 0 && wh > 0)
    }

    @Test("a class mean with only one class seen keeps a non-zero-width interval when others are possible")
    func unseenClasses() throws {
        var counts = ClassCounts(classes: 3)
        counts.counts = [0, 1000, 0]
        let e = try Estimate.classMean(counts, values: [0, 1, 5], possible: [true, true, true], level: 0.95)
        #expect(e.value == 1)
        #expect(e.low < 1 && e.high > 1)
        let fixed = try Estimate.classMean(counts, values: [0, 1, 5], possible: [false, true, false], level: 0.95)
        #expect(fixed.low == 1 && fixed.high == 1 && fixed.method == .zeroVariance)
    }

    @Test("compensated sums stay exact to the last bits")
    func compensated() {
        var sum = CompensatedSum()
        for _ in 0..<1_000_000 { sum.add(0.1) }
        #expect(abs(sum.value - 100_000) < 1e-9)
        var big = CompensatedSum()
        big.add(1e16)
        for _ in 0..<1000 { big.add(1) }
        big.add(-1e16)
        #expect(big.value == 1000)
    }

    /// Kernels with a small value table add each value once with its count;
    /// that must agree with adding it sample by sample: the same count and
    /// histogram, mean and variance to a few ulps.
    @Test("moments from value counts agree with sample-by-sample sums")
    func momentsFromCounts() {
        let values = [0.1, 2.5, 1.0 / 3, 7.25, 0.0]
        let counts: [UInt64] = [1_000_003, 17, 250_000, 1, 0]
        var bySample = Moments(center: 0.4, binWidth: 0.5)
        var byCount = Moments(center: 0.4, binWidth: 0.5)
        for (x, n) in zip(values, counts) {
            for _ in 0..<n { bySample.add(x) }
            byCount.add(x, count: n)
        }
        #expect(byCount.count == bySample.count)
        #expect(byCount.bins == bySample.bins)
        #expect(abs(byCount.mean - bySample.mean) <= 4 * bySample.mean.ulp)
        #expect(abs(byCount.variance - bySample.variance) <= 4 * bySample.variance.ulp)
    }

    @Test("count parsing", arguments: [
        ("1e7", UInt64(10_000_000)), ("10_000_000", 10_000_000), ("2^20", 1_048_576), ("1.5e6", 1_500_000),
        ("1024", 1024), ("1.50e1", 15), ("2^0", 1), ("0", 0), ("1E3", 1000),
    ])
    func counts(text: String, expected: UInt64) throws {
        #expect(try Parse.count(text, option: "--n") == expected)
    }

    @Test("count parsing refuses what is not an exact 64-bit count",
          arguments: ["", "-5", "1.5", "1e-3", "abc", "2^64", "1e20", "nan", "inf", "2^", "1e", "1.2.3", "0x10"])
    func badCounts(text: String) {
        #expect(throws: RewardBitsError.self) { try Parse.count(text, option: "--n") }
    }
}
