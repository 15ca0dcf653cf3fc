import Foundation

/// What one policy-gradient update of a tabular softmax policy says about the
/// answer S: the exact posterior of S given the update g, given (T, g) and
/// given (T, r), for one sampled prompt.
///
/// A prompt draws K rollouts T_i ~ pi over V tokens and rewards
/// r_i = 1{T_i == S}, each flipped with probability eps. Per token t, n_t
/// rollouts landed on t and h_t of them were rewarded; R = sum_t h_t. The
/// update g = sum_i A_i (e_{T_i} - pi) has coordinates
/// g_t = alpha(R) (h_t - beta(R) n_t) - (sum_i A_i) pi_t:
/// - rloo: alpha = K / (K - 1), beta = R / K, sum A = 0;
/// - grpo: alpha = 1 / sigma(R), beta = R / K, sum A = 0 (g = 0 when R is 0 or K);
/// - reinforce with baseline b: alpha = 1, beta = b, sum A = R - K b.
///
/// For a candidate R, each coordinate fixes c_t = h_t - beta n_t, and the
/// configurations (n_t, h_t) consistent with g are, token by token, those
/// with h = c_t + beta n an integer in [0, n], with sum n_t = K (sum h_t = R
/// then follows). Their probability under S = s is
/// K! prod_t pi_t^{n_t} / n_t! C(n_t, h_t) w_t(n_t, h_t; s), w the flip
/// probabilities, so P(g | S = s) is the coefficient of x^K in a product of
/// one polynomial per token: the tokens with c_t != 0 one each, the others
/// (c_t = 0) a common series raised to their number (a uniform policy) or
/// combined through power sums of their policy masses.
public struct GradientLikelihood: Sendable {
    public enum Rule: Sendable, Equatable {
        case reinforce(baseline: Double)
        case rloo
        case grpo
    }

    public let groupSize: Int
    public let noise: Double
    public let rule: Rule
    public let vocabularySize: Int
    /// Prior and policy masses; nil for uniform.
    public let prior: [Double]?
    public let policy: [Double]?
    /// Tokens the policy can draw.
    let policySupport: Int
    let inverseFactorial: [Double]
    let binomial: [[Double]]
    /// log K! - K log K: the polynomials use the masses scaled by K (so that
    /// their coefficients stay near 1 for any V).
    let logScale: Double
    /// Per candidate R (see `backgroundSeries(candidateR:)`).
    private(set) var backgroundSeries: [BackgroundSeries] = []

    /// Two update coordinates are equal when they differ by less than this
    /// (they are O(K) rationals, or ratios of square roots for grpo).
    static let tolerance = 1e-9

    public init(vocabularySize: Int, groupSize: Int, noise: Double, rule: Rule, prior: [Double]?, policy: [Double]?) {
        precondition(groupSize >= 1 && groupSize <= 64 && vocabularySize >= 2)
        self.vocabularySize = vocabularySize
        self.groupSize = groupSize
        self.noise = noise
        self.rule = rule
        self.prior = prior
        self.policy = policy
        policySupport = policy?.filter { $0 > 0 }.count ?? vocabularySize
        var f = [1.0]
        for n in 1...groupSize { f.append(f[n - 1] / Double(n)) }
        inverseFactorial = f
        var c: [[Double]] = []
        for n in 0...groupSize {
            var row = [Double](repeating: 1, count: n + 1)
            if n >= 2 { for h in 1..<n { row[h] = c[n - 1][h - 1] + c[n - 1][h] } }
            c.append(row)
        }
        binomial = c
        logScale = lgamma(Double(groupSize + 1)) - Double(groupSize) * log(Double(groupSize))
        backgroundSeries = []
        backgroundSeries = (0...groupSize).map(backgroundSeries(candidateR:))
    }

    /// The series of a token whose coordinate is 0 under a candidate R, at
    /// scaled mass y: A(y x) as a non-answer and A'(y x) as the answer; kept
    /// as log A and A'/A, which depend on the model and R only.
    struct BackgroundSeries: Sendable {
        var logA: [Double]
        var ratio: [Double]
    }

    func backgroundSeries(candidateR r: Int) -> BackgroundSeries {
        let k = groupSize, b = beta(r)
        var a = [Double](repeating: 0, count: k + 1), aAnswer = a
        a[0] = 1
        aAnswer[0] = 1
        for n in 1...k {
            guard let h = hits(target: 0, count: n, beta: b) else { continue }
            a[n] = inverseFactorial[n] * exp(logWeight(count: n, hits: h, answer: false))
            aAnswer[n] = inverseFactorial[n] * exp(logWeight(count: n, hits: h, answer: true))
        }
        return BackgroundSeries(logA: Series.log(a), ratio: Series.divide(aAnswer, by: a))
    }

    func priorMass(_ t: Int) -> Double { prior?[t] ?? 1 / Double(vocabularySize) }
    func policyMass(_ t: Int) -> Double { policy?[t] ?? 1 / Double(vocabularySize) }

    /// One prompt: the distinct tokens drawn, how many rollouts landed on
    /// each and how many of those were rewarded, and the answer.
    public struct Prompt: Sendable {
        public var tokens: [Int]
        public var counts: [Int]
        public var rewarded: [Int]
        public init(tokens: [Int], counts: [Int], rewarded: [Int]) {
            self.tokens = tokens
            self.counts = counts
            self.rewarded = rewarded
        }
        public var rewards: Int { rewarded.reduce(0, +) }
    }

    public typealias Values = GradientValues

    /// observation - givenRollouts, 0 where the two differ only by rounding
    /// (an update that keeps everything: the same posterior computed two ways).
    public static func lost(observation: Double, givenRollouts: Double) -> Double {
        let d = observation - givenRollouts
        return abs(d) <= 1e-12 * max(1, abs(observation)) ? 0 : d
    }

    public func values(_ prompt: Prompt) -> Values {
        let (gradient, logG) = gradientPosterior(prompt)
        let (given, logGT) = givenRolloutsPosterior(prompt)
        return Values(gradient: gradient, givenRollouts: given, observation: observationDivergence(prompt),
                      aboutRollouts: (logGT - logG) / M_LN2)
    }

    // MARK: The rewards' view: D(P(S | T, r) || q)

    func observationDivergence(_ p: Prompt) -> Double {
        var groups: [(mass: Double, logLikelihood: Double)] = []
        var sampledMass = 0.0
        if noise == 0 {
            // A rewarded token is S; otherwise the sampled tokens are ruled out.
            for (j, t) in p.tokens.enumerated() where p.rewarded[j] > 0 { return -log2(priorMass(t)) }
            for t in p.tokens { sampledMass += priorMass(t) }
            return -log2(max(1 - sampledMass, .leastNormalMagnitude))
        }
        let logRatio = log(noise / (1 - noise))
        for (j, t) in p.tokens.enumerated() {
            let q = priorMass(t)
            sampledMass += q
            groups.append((q, Double(p.counts[j] - 2 * p.rewarded[j]) * logRatio))
        }
        groups.append((max(0, 1 - sampledMass), 0))
        return Self.divergence(groups).divergence
    }

    // MARK: Given the rollouts: D(P(S | T, g) || q) and log P(g | T)

    /// The c_t of the tokens a candidate R must explain, from the true
    /// (n_t, h_t): nil entries for tokens whose coordinate does not depend
    /// on R (all but the reinforce pi term).
    func coordinateTarget(rule: Rule, n: Int, h: Int, trueR: Int, candidateR: Int, policyMass: Double) -> Double {
        let k = Double(groupSize)
        switch rule {
        case .rloo:
            return Double(h) - Double(trueR) / k * Double(n)
        case .grpo:
            let g = Self.grpoScale(trueR, groupSize) * (Double(h) - Double(trueR) / k * Double(n))
            let scale = Self.grpoScale(candidateR, groupSize)
            return scale == 0 ? g : g / scale
        case .reinforce(let b):
            return Double(h) - b * Double(n) + Double(candidateR - trueR) * policyMass
        }
    }

    /// 1 / sigma(R), with grpo's zero update at R = 0 or K (scale 0 there;
    /// as a candidate's divisor, 1: the update must then be 0 everywhere).
    static func grpoScale(_ r: Int, _ k: Int) -> Double {
        guard r > 0 && r < k else { return 0 }
        let m = Double(r) / Double(k)
        return 1 / (m * (1 - m)).squareRoot()
    }

    func beta(_ r: Int) -> Double {
        if case .reinforce(let b) = rule { return b }
        return Double(r) / Double(groupSize)
    }

    /// h = c + beta n when it is an integer in [0, n].
    func hits(target c: Double, count n: Int, beta: Double) -> Int? {
        let h = c + beta * Double(n)
        let rounded = h.rounded()
        guard abs(h - rounded) <= Self.tolerance, rounded >= 0, rounded <= Double(n) else { return nil }
        return Int(rounded)
    }

    /// log of C(n, h) times the flip probabilities of h rewards among n
    /// rollouts on a token that is (`answer`) or is not S.
    func logWeight(count n: Int, hits h: Int, answer: Bool) -> Double {
        let rewardedRight = answer ? h : n - h    // kept rewards
        let flipped = n - rewardedRight
        var value = log(binomial[n][h])
        if flipped > 0 { value += noise > 0 ? Double(flipped) * log(noise) : -.infinity }
        if rewardedRight > 0 { value += Double(rewardedRight) * log1p(-noise) }
        return value
    }

    func givenRolloutsPosterior(_ p: Prompt) -> (divergence: Double, logMarginal: Double) {
        let trueR = p.rewards
        let unsampledDrawable = policySupport - p.tokens.filter { policyMass($0) > 0 }.count
        // log P(g, R | T, S = s) per candidate R: for S among the sampled
        // tokens one by one, and for S elsewhere (every other token alike).
        var tokenTerms = [[Double]](repeating: [], count: p.tokens.count)
        var otherTerms: [Double] = []
        for r in 0...groupSize {
            if case .reinforce = rule, r != trueR, unsampledDrawable > 0 { continue }
            let b = beta(r)
            var logOther = 0.0
            var hitsPerToken: [Int] = []
            var feasible = true
            for (j, t) in p.tokens.enumerated() {
                let c = coordinateTarget(rule: rule, n: p.counts[j], h: p.rewarded[j], trueR: trueR, candidateR: r,
                                         policyMass: policyMass(t))
                guard let h = hits(target: c, count: p.counts[j], beta: b) else { feasible = false; break }
                hitsPerToken.append(h)
                logOther += logWeight(count: p.counts[j], hits: h, answer: false)
            }
            guard feasible, hitsPerToken.reduce(0, +) == r else { continue }
            otherTerms.append(logOther)
            for j in p.tokens.indices {
                let n = p.counts[j], h = hitsPerToken[j]
                var logAnswer = logWeight(count: n, hits: h, answer: true)
                for i in p.tokens.indices where i != j {
                    logAnswer += logWeight(count: p.counts[i], hits: hitsPerToken[i], answer: false)
                }
                tokenTerms[j].append(logAnswer)
            }
        }
        var groups: [(mass: Double, logLikelihood: Double)] = []
        var sampledMass = 0.0
        for (j, t) in p.tokens.enumerated() {
            sampledMass += priorMass(t)
            groups.append((priorMass(t), Self.logSum(tokenTerms[j])))
        }
        groups.append((max(0, 1 - sampledMass), Self.logSum(otherTerms)))
        let (d, logZ) = Self.divergence(groups)
        return (d, logZ)
    }

    /// log sum_i exp(x_i), -infinity for none.
    static func logSum(_ x: [Double]) -> Double {
        guard let top = x.max(), top.isFinite else { return -.infinity }
        var total = 0.0
        for value in x { total += exp(value - top) }
        return top + log(total)
    }

    // MARK: The update alone: D(P(S | g) || q) and log P(g)

    func gradientPosterior(_ p: Prompt) -> (divergence: Double, logMarginal: Double) {
        let k = groupSize
        let trueR = p.rewards
        let scaledMass: (Int) -> Double = { self.policyMass($0) * Double(k) }
        // Dense: every token with prior or policy mass is tracked one by one
        // (a non-uniform policy, or reinforce with few drawable tokens, where
        // another R can explain the update). Otherwise only the tokens whose
        // coordinate is not 0, the rest sharing one value.
        let reinforce: Bool
        if case .reinforce = rule { reinforce = true } else { reinforce = false }
        let unsampledDrawable = policySupport - p.tokens.filter { policyMass($0) > 0 }.count
        let otherRFeasible = !reinforce || unsampledDrawable <= k
        let dense = policy != nil || (reinforce && otherRFeasible)
        var tracked: [Int]
        var sampledIndex: [Int: Int] = [:]
        for (j, t) in p.tokens.enumerated() { sampledIndex[t] = j }
        if dense {
            tracked = (0..<vocabularySize).filter { priorMass($0) > 0 || policyMass($0) > 0 }
        } else {
            tracked = p.tokens
        }
        var trackedLikelihood = [Double](repeating: 0, count: tracked.count)
        var sharedLikelihood = 0.0    // each untracked token (uniform policy)
        // Prefix rows, suffix rows (K + 2 each) and two scratch rows.
        var products = [Double](repeating: 0, count: (2 * (k + 2) + 2) * (k + 1))

        for r in 0...k {
            if reinforce && r != trueR && !otherRFeasible { continue }
            let b = beta(r)
            // Each tracked token's target; visible when not 0.
            var targets = [Double](repeating: 0, count: tracked.count)
            var visible: [Int] = []   // indices into tracked
            for (i, t) in tracked.enumerated() {
                let c: Double
                if let j = sampledIndex[t] {
                    c = coordinateTarget(rule: rule, n: p.counts[j], h: p.rewarded[j], trueR: trueR, candidateR: r,
                                         policyMass: policyMass(t))
                } else {
                    c = coordinateTarget(rule: rule, n: 0, h: 0, trueR: trueR, candidateR: r, policyMass: policyMass(t))
                }
                targets[i] = c
                if abs(c) > Self.tolerance { visible.append(i) }
            }
            guard visible.count <= k else { continue }
            // Per visible token: its polynomial as a non-answer (F) and as the answer (G).
            var f: [[Double]] = [], g: [[Double]] = []
            var feasible = true
            for i in visible {
                let y = scaledMass(tracked[i])
                var fi = [Double](repeating: 0, count: k + 1), gi = fi
                var any = false
                var power = 1.0
                for n in 1...k {
                    power *= y
                    guard let h = hits(target: targets[i], count: n, beta: b) else { continue }
                    let base = power * inverseFactorial[n]
                    fi[n] = base * exp(logWeight(count: n, hits: h, answer: false))
                    gi[n] = base * exp(logWeight(count: n, hits: h, answer: true))
                    any = any || fi[n] > 0 || gi[n] > 0
                }
                if !any { feasible = false; break }
                f.append(fi)
                g.append(gi)
            }
            guard feasible else { continue }
            let logA = backgroundSeries[r].logA
            // The background: every token not visible, as a product.
            var powerSums = [Double](repeating: 0, count: k + 1)
            let visibleSet = Set(visible.map { tracked[$0] })
            if dense {
                for t in 0..<vocabularySize where !visibleSet.contains(t) {
                    let y = scaledMass(t)
                    guard y > 0 else { continue }
                    var power = 1.0
                    for m in 1...k { power *= y; powerSums[m] += power }
                }
            } else {
                let y = scaledMass(0)
                let count = Double(vocabularySize - visible.count)
                var power = 1.0
                for m in 1...k { power *= y; powerSums[m] = count * power }
            }
            var exponent = [Double](repeating: 0, count: k + 1)
            for m in 1...k { exponent[m] = logA[m] * powerSums[m] }
            let background = Series.exp(exponent)
            // Products of the visible polynomials without one of them, in
            // rows of one flat buffer (reused across R: the products are the
            // hot part of a prompt, and allocating them was a third of it).
            let v = visible.count
            let width = k + 1
            var withBackground = [Double](repeating: 0, count: width)
            products.withUnsafeMutableBufferPointer { buffer in
                let base = buffer.baseAddress!
                let prefix = base, suffixes = base + (k + 2) * width, scratch = base + 2 * (k + 2) * width
                func row(_ start: UnsafeMutablePointer<Double>, _ i: Int) -> UnsafeMutablePointer<Double> { start + i * width }
                for m in 0..<width { prefix[m] = m == 0 ? 1 : 0 }
                for i in 0..<v { Series.multiply(row(prefix, i), f[i], into: row(prefix, i + 1), count: width) }
                withBackground.withUnsafeMutableBufferPointer {
                    Series.multiply(row(prefix, v), background, into: $0.baseAddress!, count: width)
                }
                // The answer among the visible tokens.
                for m in 0..<width { row(suffixes, v)[m] = m == 0 ? 1 : 0 }
                for i in stride(from: v - 1, through: 0, by: -1) {
                    Series.multiply(row(suffixes, i + 1), f[i], into: row(suffixes, i), count: width)
                }
                let pair = scratch, others = scratch + width
                for (position, i) in visible.enumerated() {
                    Series.multiply(row(prefix, position), row(suffixes, position + 1), into: pair, count: width)
                    Series.multiply(pair, background, into: others, count: width)
                    var total = 0.0
                    for m in 0...k { total += others[m] * g[position][k - m] }
                    trackedLikelihood[i] += total
                }
            }
            // The answer among the background tokens: [x^K] of the product
            // times (A'/A)(y x) = sum_m ratio_m y^m x^m.
            let ratio = backgroundSeries[r].ratio
            func backgroundLikelihood(_ y: Double) -> Double {
                var total = 0.0
                var power = 1.0
                for m in 0...k {
                    if m > 0 { power *= y }
                    total += withBackground[k - m] * ratio[m] * power
                }
                return total
            }
            for (i, t) in tracked.enumerated() where !visibleSet.contains(t) {
                trackedLikelihood[i] += backgroundLikelihood(scaledMass(t))
            }
            if !dense { sharedLikelihood += backgroundLikelihood(scaledMass(0)) }
            withBackground = []
        }
        var groups: [(mass: Double, logLikelihood: Double)] = []
        var trackedMass = 0.0
        for (i, t) in tracked.enumerated() {
            let q = priorMass(t)
            guard q > 0 else { continue }
            trackedMass += q
            groups.append((q, log(trackedLikelihood[i])))
        }
        if !dense { groups.append((max(0, 1 - trackedMass), log(sharedLikelihood))) }
        let (d, logZ) = Self.divergence(groups)
        return (d, logZ + logScale)
    }

    // MARK: Shared

    /// D(posterior || prior) in bits and log Z, for a posterior
    /// proportional to mass x likelihood over groups of answers that share a
    /// likelihood: sum_i p_i (log L_i - log Z) / ln 2, Z = sum_i mass_i L_i.
    static func divergence(_ groups: [(mass: Double, logLikelihood: Double)]) -> (divergence: Double, logZ: Double) {
        var top = -Double.infinity
        for group in groups where group.mass > 0 { top = max(top, group.logLikelihood) }
        guard top.isFinite else { return (0, -.infinity) }
        var z = 0.0
        for group in groups where group.mass > 0 && group.logLikelihood.isFinite {
            z += group.mass * exp(group.logLikelihood - top)
        }
        let logZ = log(z) + top
        var d = 0.0
        for group in groups where group.mass > 0 && group.logLikelihood.isFinite {
            let p = group.mass * exp(group.logLikelihood - logZ)
            d += p * (group.logLikelihood - logZ)
        }
        return (max(0, d / M_LN2), logZ)
    }
}

/// The per-sample values of one prompt of the gradient channel, in bits:
/// each is a Rao-Blackwellised (over S) or pointwise term whose mean is the
/// named information (or, in `PerTokenGradient.exact`, that mean itself).
public struct GradientValues: Sendable, Equatable {
    /// D(P(S | g) || q): mean I(S; g).
    public var gradient: Double
    /// D(P(S | T, g) || q): mean I(S; g | T).
    public var givenRollouts: Double
    /// D(P(S | T, r) || q): mean I(S; (T, r)).
    public var observation: Double
    /// log2 P(g | T) - log2 P(g): mean I(g; T).
    public var aboutRollouts: Double

    public init(gradient: Double, givenRollouts: Double, observation: Double, aboutRollouts: Double) {
        self.gradient = gradient
        self.givenRollouts = givenRollouts
        self.observation = observation
        self.aboutRollouts = aboutRollouts
    }

    /// observation - givenRollouts: mean lost.
    public var lost: Double { GradientLikelihood.lost(observation: observation, givenRollouts: givenRollouts) }

    /// The five values in the order the gradient kernels report them: I(S; g),
    /// I(S; g | T), I(S; (T, r)), lost, I(g; T).
    public var reported: [Double] { [gradient, givenRollouts, observation, lost, aboutRollouts] }
}

/// Truncated power series (coefficient i of x^i), all of one length.
enum Series {
    /// `multiply` into a buffer of `count` coefficients, with the same
    /// additions in the same order.
    @inline(__always)
    static func multiply(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into c: UnsafeMutablePointer<Double>,
                         count n: Int) {
        for i in 0..<n { c[i] = 0 }
        for i in 0..<n where a[i] != 0 {
            for j in 0..<(n - i) { c[i + j] += a[i] * b[j] }
        }
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        let n = a.count
        var c = [Double](repeating: 0, count: n)
        for i in 0..<n where a[i] != 0 {
            for j in 0..<(n - i) { c[i + j] += a[i] * b[j] }
        }
        return c
    }

    /// [x^k] of a times b.
    static func coefficient(_ k: Int, of a: [Double], times b: [Double]) -> Double {
        var total = 0.0
        for i in 0...k { total += a[i] * b[k - i] }
        return total
    }

    /// log a for a[0] = 1.
    static func log(_ a: [Double]) -> [Double] {
        let n = a.count
        var l = [Double](repeating: 0, count: n)
        for m in 1..<n {
            var s = Double(m) * a[m]
            for j in 1..<m { s -= Double(j) * l[j] * a[m - j] }
            l[m] = s / Double(m)
        }
        return l
    }

    /// exp a for a[0] = 0.
    static func exp(_ a: [Double]) -> [Double] {
        let n = a.count
        var e = [Double](repeating: 0, count: n)
        e[0] = 1
        for m in 1..<n {
            var s = 0.0
            for j in 1...m { s += Double(j) * a[j] * e[m - j] }
            e[m] = s / Double(m)
        }
        return e
    }

    /// a / b for b[0] = 1.
    static func divide(_ a: [Double], by b: [Double]) -> [Double] {
        let n = a.count
        var c = [Double](repeating: 0, count: n)
        for m in 0..<n {
            var s = a[m]
            for j in 1...max(1, m) where j <= m { s -= b[j] * c[m - j] }
            c[m] = s
        }
        return c
    }
}
