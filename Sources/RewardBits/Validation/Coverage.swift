import Dispatch
import Foundation

/// The coverage study: for each row (a channel spec with a known exact
/// value), R replicates with distinct seeds, and the fraction of intervals
/// that contain the exact value.
public enum Coverage {
    /// One row of the study.
    public struct Row: Sendable {
        public let name: String
        /// Samples per replicate.
        public let samples: UInt64
        /// The value the intervals should cover (the exact I, or E[plug-in]).
        public let target: Double
        /// The interval's exact coverage where it can be computed (count-based
        /// intervals: a sum over the binomial count). Where successes are
        /// rare, coverage is a step function of p and this, not 0.95, is what
        /// the replicates' fraction should match.
        public let exactCoverage: Double?
        /// For count-based rows: whether any interval whose bounds are
        /// nondecreasing in the count could have coverage inside the band
        /// (nil where not applicable). When false, no choice of
        /// non-randomized interval can make the row pass.
        public let bandReachable: Bool?
        let run: @Sendable (RunSettings) throws -> Estimate

        public init(name: String, samples: UInt64, target: Double, exactCoverage: Double? = nil, bandReachable: Bool? = nil,
                    run: @escaping @Sendable (RunSettings) throws -> Estimate) {
            self.name = name
            self.samples = samples
            self.target = target
            self.exactCoverage = exactCoverage
            self.bandReachable = bandReachable
            self.run = run
        }
    }

    /// A row's outcome.
    public struct Result: Sendable {
        public var row: String
        public var replicates: Int
        public var covered: Int
        public var fraction: Double { Double(covered) / Double(replicates) }
        /// Clopper-Pearson 95% interval on the coverage fraction.
        public var fractionLow: Double
        public var fractionHigh: Double
        public var meanZ: Double?
        public var sdZ: Double?
        /// Replicates whose standard error was 0 (z undefined).
        public var undefinedZ: Int
        public var band: ClosedRange<Double>
        public var inBand: Bool { band.contains(fraction) }
        public var meanHalfWidth: Double
        public var target: Double
        public var exactCoverage: Double?
        public var bandReachable: Bool?
        /// Whether the fraction is within 3 binomial standard deviations of
        /// the interval's exact coverage (nil where that is not known).
        public var matchesExactCoverage: Bool? {
            exactCoverage.map { c in abs(fraction - c) <= 3 * (c * (1 - c) / Double(replicates)).squareRoot() + 0.5 / Double(replicates) }
        }

        public var json: JSONValue {
            .object([
                ("row", .string(row)), ("replicates", .integer(Int64(replicates))), ("covered", .integer(Int64(covered))),
                ("coverage", .number(fraction)), ("coverage_ci", .array([.number(fractionLow), .number(fractionHigh)])),
                ("band", .array([.number(band.lowerBound), .number(band.upperBound)])), ("in_band", .bool(inBand)),
                ("mean_z", .optional(meanZ)), ("sd_z", .optional(sdZ)), ("undefined_z", .integer(Int64(undefinedZ))),
                ("mean_halfwidth", .number(meanHalfWidth)), ("target", .number(target)),
                ("exact_coverage", .optional(exactCoverage)),
                ("band_reachable_by_count_interval", bandReachable.map { .bool($0) } ?? .null),
                ("version", RewardBitsVersion.json),
            ])
        }
    }

    /// The acceptance band for R replicates at 95% nominal coverage:
    /// 0.95 +- 3 binomial standard deviations, which is [0.935, 0.965] for
    /// R = 2000 (the full tier) and wider for the fast tier.
    public static func band(replicates: Int) -> ClosedRange<Double> {
        let spread = 3 * (0.95 * 0.05 / Double(replicates)).squareRoot()
        return (0.95 - spread)...(0.95 + spread)
    }

    /// Runs `row` `replicates` times, in parallel over `threads` workers (each
    /// replicate on one thread, so results do not depend on `threads`).
    public static func run(_ row: Row, replicates: Int, baseSeed: UInt64, threads: Int) throws -> Result {
        let rowSeed = SplitMix64.mix(baseSeed ^ stableHash(row.name))
        let estimates = try Coverage.replicates(replicates, rowSeed: rowSeed, threads: threads) { try row.run($0) }
        let covered = estimates.filter { $0.contains(row.target) }.count
        let zs = estimates.compactMap { $0.z(against: row.target) }
        let meanZ = zs.isEmpty ? nil : zs.reduce(0, +) / Double(zs.count)
        let sdZ = zs.count < 2 ? nil : (zs.map { ($0 - meanZ!) * ($0 - meanZ!) }.reduce(0, +) / Double(zs.count - 1)).squareRoot()
        let (low, high) = Estimate.clopperPearson(successes: UInt64(covered), trials: UInt64(estimates.count), level: 0.95)
            ?? (0, 1)
        return Result(row: row.name, replicates: estimates.count, covered: covered, fractionLow: low, fractionHigh: high,
                      meanZ: meanZ, sdZ: sdZ, undefinedZ: estimates.count - zs.count, band: band(replicates: estimates.count),
                      meanHalfWidth: estimates.map(\.halfWidth).reduce(0, +) / Double(max(estimates.count, 1)),
                      target: row.target, exactCoverage: row.exactCoverage, bandReachable: row.bandReachable)
    }
}

extension Coverage {
    /// P(k) for k ~ Binomial(n, p) over k in [first, last], the range
    /// outside which every term is below 1e-20.
    static func binomialMasses(p: Double, trials n: UInt64) throws -> (first: UInt64, masses: [Double]) {
        let mean = Double(n) * p
        let last = min(n, UInt64(mean + 12 * mean.squareRoot() + 30))
        let first = UInt64(max(0, mean - 12 * mean.squareRoot() - 30))
        let nd = Double(n)
        let logN = try GSL.logGamma(nd + 1)
        var masses: [Double] = []
        for k in first...last {
            let kd = Double(k)
            masses.append(exp(try logN - GSL.logGamma(kd + 1) - GSL.logGamma(nd - kd + 1) + kd * log(p) + (nd - kd) * log1p(-p)))
        }
        return (first, masses)
    }

    /// Whether any interval procedure for p from k ~ Binomial(n, p) whose
    /// bounds are nondecreasing in k (Clopper-Pearson, Wilson, mid-p, ...)
    /// can have coverage inside `band` at this p. Such an interval contains
    /// p for a contiguous range of k, so its coverage is the mass of that
    /// range; this checks every range. When successes are rare the masses
    /// are lumpy: at n p = 0.01, P(k = 0) = 0.99, so the coverage is either
    /// at least 0.99 or at most 0.01, and only a randomized interval can
    /// reach 0.95.
    public static func countIntervalCanReach(_ band: ClosedRange<Double>, p: Double, trials n: UInt64) throws -> Bool {
        let masses = try binomialMasses(p: p, trials: n).masses
        var prefix = [0.0]
        for m in masses { prefix.append(prefix.last! + m) }
        for i in 0..<masses.count {
            for j in (i + 1)...masses.count where band.contains(prefix[j] - prefix[i]) { return true }
        }
        return false
    }

    /// The exact coverage of a count interval (Blaker or Clopper-Pearson)
    /// for p from k ~ Binomial(n, p): the sum of P(k) over the k whose
    /// interval contains p.
    public static func countIntervalCoverage(p: Double, trials n: UInt64, level: Double,
                                             interval: Estimate.BinomialInterval) throws -> Double {
        let (first, masses) = try binomialMasses(p: p, trials: n)
        var total = CompensatedSum()
        for (offset, mass) in masses.enumerated() {
            let k = first + UInt64(offset)
            let bounds: (Double, Double)?
            switch interval {
            case .blaker: bounds = Estimate.blaker(successes: k, trials: n, level: level)
            case .clopperPearson: bounds = Estimate.clopperPearson(successes: k, trials: n, level: level)
            default: throw RewardBitsError.invalidInput("exact coverage is computed for blaker and clopper-pearson only")
            }
            guard let (low, high) = bounds else {
                throw RewardBitsError.numerical("count interval bounds unavailable at k = \(k), n = \(n)")
            }
            if low <= p, p <= high { total.add(mass) }
        }
        return total.value
    }
}

extension Coverage {
    /// Runs `run` for replicates 0..<count, replicate i with seed rowSeed + i
    /// on one thread, in parallel over `threads` workers (so the results do
    /// not depend on `threads`), in replicate order.
    static func replicates<T: Sendable>(_ count: Int, rowSeed: UInt64, threads: Int,
                                        _ run: @escaping @Sendable (RunSettings) throws -> T) throws -> [T] {
        let box = ReplicateResults<T>(count)
        let next = ReplicateCounter(0)
        let work: @Sendable (Int) -> Void = { _ in
            while true {
                let i = next.increment()
                guard i < count else { return }
                var settings = RunSettings(seed: rowSeed &+ UInt64(i), threads: 1, confidence: 0.95)
                settings.showProgress = false
                do {
                    let result = try run(settings)
                    box.lock.lock(); box.results[i] = result; box.lock.unlock()
                } catch {
                    box.lock.lock(); box.error = error; box.lock.unlock()
                    return
                }
            }
        }
        if threads <= 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
        if let error = box.error { throw error }
        return box.results.compactMap { $0 }
    }
}

/// Replicates' results as they finish, and the first error.
final class ReplicateResults<T>: @unchecked Sendable {
    var results: [T?]
    var error: Error?
    let lock = NSLock()
    init(_ n: Int) { results = [T?](repeating: nil, count: n) }
}

/// A locked counter for handing out replicate numbers.
final class ReplicateCounter: @unchecked Sendable {
    private var value: Int
    private let lock = NSLock()
    init(_ value: Int) { self.value = value }
    /// Returns the current value and adds one.
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let v = value
        value += 1
        return v
    }
}
