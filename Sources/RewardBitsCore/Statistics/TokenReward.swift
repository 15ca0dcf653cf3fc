import Foundation

/// What the verifier returns for an episode of T tokens. Noise flips the
/// per-token rewards R_t first; checkpoints, sums and grades are computed
/// from the flipped R_t.
public enum TokenReward: Sendable, Equatable, CustomStringConvertible {
    /// R_1..R_T: up to T bits.
    case perToken
    /// One reward per block of C tokens (the last block shorter when C does
    /// not divide T): 1 when every R_t of the block is 1.
    case checkpoint(Int)
    /// One scalar reward, sum_t R_t.
    case sum
    /// round((2^B - 1) sum / T), half up: 2^B levels on a fixed grid over
    /// [0, T]. The sum concentrates around T/2 as T grows, so a fixed grid
    /// puts it in ever fewer levels and the grade carries ever less.
    case graded(Int)
    /// 2^B levels at the quantiles of the sum's distribution (Binomial(T,
    /// 1/2): x is a fair coin, so P(R_t = 1) = 1/2 for any p and eps): a sum
    /// m goes to the level floor(2^B u_m) holding its mid-quantile
    /// u_m = P(sum < m) + P(sum = m) / 2. Levels then carry about equal
    /// probability, and the grade up to min(B, H(sum)) bits (5.05 at T = 256
    /// for B >= 6).
    case gradedQuantile(Int)

    public init(parsing text: String) throws {
        func number(_ prefix: String, _ name: String) throws -> Int {
            let digits = String(text.dropFirst(prefix.count))
            guard let value = Int(digits) else {
                throw RewardBitsError.invalidInput("\(Parameter.reward) \(prefix)\(name) needs an integer \(name) (got '\(digits)')")
            }
            return value
        }
        if text == "per-token" {
            self = .perToken
        } else if text == "sum" {
            self = .sum
        } else if text.hasPrefix("checkpoint:") {
            let c = try number("checkpoint:", "C")
            guard c >= 1 else { throw RewardBitsError.invalidInput("\(Parameter.reward) checkpoint:C needs C >= 1 tokens per checkpoint (got \(c))") }
            self = .checkpoint(c)
        } else if text.hasPrefix("graded:") {
            let quantile = text.hasSuffix(":quantile")
            let digits = String(text.dropFirst("graded:".count).dropLast(quantile ? ":quantile".count : 0))
            guard let b = Int(digits) else {
                throw RewardBitsError.invalidInput("\(Parameter.reward) graded:B (or graded:B:quantile) needs an integer B (got '\(digits)')")
            }
            guard (1...32).contains(b) else {
                throw RewardBitsError.invalidInput("\(Parameter.reward) graded:B needs 1 <= B <= 32 bits of grade (got \(b))")
            }
            self = quantile ? .gradedQuantile(b) : .graded(b)
        } else {
            throw RewardBitsError.invalidInput(
                "\(Parameter.reward) must be per-token, checkpoint:C, sum, graded:B or graded:B:quantile (got '\(text)'), e.g. \(Parameter.reward) checkpoint:8")
        }
    }

    public var description: String {
        switch self {
        case .perToken: return "per-token"
        case .checkpoint(let c): return "checkpoint:\(c)"
        case .sum: return "sum"
        case .graded(let b): return "graded:\(b)"
        case .gradedQuantile(let b): return "graded:\(b):quantile"
        }
    }

    /// The grade of every sum m = 0...T, or nil for rewards that are not graded.
    public func grades(length t: Int) -> [Int]? {
        switch self {
        case .graded(let b):
            return (0...t).map { Self.grade(sum: $0, length: t, bits: b) }
        case .gradedQuantile(let b):
            // Binomial(T, 1/2) in log space, cumulated with compensation.
            let levels = Double(UInt64(1) << UInt64(b))
            var below = CompensatedSum()
            return (0...t).map { m in
                let mass = exp(lgamma(Double(t + 1)) - lgamma(Double(m + 1)) - lgamma(Double(t - m + 1)) - Double(t) * M_LN2)
                let midQuantile = below.value + mass / 2
                below.add(mass)
                return Int(min(levels - 1, (levels * midQuantile).rounded(.down)))
            }
        default:
            return nil
        }
    }

    /// B for graded rewards (either grid), else nil.
    public var gradeBits: Int? {
        switch self {
        case .graded(let b), .gradedQuantile(let b): return b
        default: return nil
        }
    }

    /// The longest episode whose sum or grade distribution is tabulated
    /// ((T + 1)^2 probabilities, O(T^3) to build).
    public static let maximumAggregateLength = 1024

    /// The grade of a sum m: round((2^B - 1) m / T) with halves rounded up,
    /// in exact integer arithmetic.
    public static func grade(sum m: Int, length t: Int, bits b: Int) -> Int {
        let levels = (UInt64(1) << UInt64(b)) - 1
        return Int((levels * UInt64(m) * 2 + UInt64(t)) / (2 * UInt64(t)))
    }
}

/// Distributions behind the `sum` and `graded` rewards.
public enum TokenSumDistributions {
    /// Binomial(n, p) pmf for n = 0...T (row n has n + 1 entries), by the
    /// recurrence over n (all terms non-negative).
    public static func binomialRows(_ t: Int, _ p: Double) -> [[Double]] {
        var rows: [[Double]] = [[1]]
        for n in 1...max(t, 1) {
            let previous = rows[n - 1]
            var row = [Double](repeating: 0, count: n + 1)
            for j in 0..<n {
                row[j] += previous[j] * (1 - p)
                row[j + 1] += previous[j] * p
            }
            rows.append(row)
        }
        return rows
    }

    /// P(sum = m | j) for j = 0...T: the sum of j Bernoulli(a) and T - j
    /// Bernoulli(b) bits, i.e. Binomial(j, a) * Binomial(T - j, b).
    public static func mixtures(length t: Int, a: Double, b: Double) -> [[Double]] {
        let rowsA = binomialRows(t, a)
        let rowsB = binomialRows(t, b)
        return (0...t).map { j in
            var out = [Double](repeating: 0, count: t + 1)
            let x = rowsA[j], y = rowsB[t - j]
            for (i, px) in x.enumerated() where px > 0 {
                for (l, py) in y.enumerated() where py > 0 { out[i + l] += px * py }
            }
            return out
        }
    }
}
