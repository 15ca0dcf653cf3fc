import Foundation
import Testing
import RewardBitsTestSupport
import RewardBitsCore

/// The sum tree a changing softmax policy will draw from (issue 28).
@Suite("sum tree")
struct SumTreeTests {
    /// Deterministic test words: SplitMix64's mixer over a counter.
    static func words(_ count: Int, seed: UInt64) -> [UInt64] {
        (0..<UInt64(count)).map { SplitMix64.mix(seed &* 0x9E37_79B9_7F4A_7C15 &+ $0) }
    }

    static func weights(_ v: Int, seed: UInt64) -> [Double] {
        words(v, seed: seed).enumerated().map { i, w in i % 7 == 3 ? 0 : Double(w >> 40) / Double(1 << 24) + 1e-3 }
    }

    @Test("a draw lands in the slice of [0, total) that holds u x total", arguments: [1, 3, 17, 1000])
    func slices(v: Int) throws {
        let w = Self.weights(v, seed: UInt64(v))
        let tree = try SumTree(weights: w)
        let weights = (0..<v).map(tree.weight)
        var prefix = [0.0]
        for x in weights { prefix.append(prefix.last! + x) }
        let tolerance = 1e-12 * tree.total
        for word in Self.words(10_000, seed: 99) {
            let u = Double(word >> 11) * 0x1p-53
            let i = tree.draw(u)
            let x = u * tree.total
            #expect(weights[i] > 0, "drew symbol \(i) of weight 0")
            #expect(prefix[i] - tolerance <= x && x < prefix[i + 1] + tolerance, "u \(u): symbol \(i)")
        }
        #expect(weights[tree.draw(0x1.fffffffffffffp-1)] > 0)
        #expect(weights[tree.draw(0)] > 0)
    }

    @Test("after any updates the tree is bitwise the one built from the final weights")
    func updates() throws {
        let v = 300
        var weights = Self.weights(v, seed: 5)
        var tree = try SumTree(weights: weights)
        for (n, word) in Self.words(2000, seed: 6).enumerated() {
            let symbol = Int(word % UInt64(v))
            let weight = n % 11 == 0 ? 0 : Double(word >> 44) / 1024
            weights[symbol] = weight
            tree.update(symbol, weight: weight)
        }
        let fresh = try SumTree(weights: weights)
        #expect(tree.total.bitPattern == fresh.total.bitPattern)
        for word in Self.words(5000, seed: 7) {
            #expect(tree.draw(word: word) == fresh.draw(word: word))
            #expect(weights[tree.draw(word: word)] > 0)
        }
    }

    /// Each symbol's count over N draws is Binomial(N, w / total): within 5
    /// standard errors of its mean.
    @Test("draws follow the weights")
    func frequencies() throws {
        let weights = [0.5, 0, 2, 1, 0.25, 3, 0, 0.125]
        let tree = try SumTree(weights: weights)
        let n = 1_000_000
        var counts = [Int](repeating: 0, count: weights.count)
        for word in Self.words(n, seed: 11) { counts[tree.draw(word: word)] += 1 }
        let total = weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            let p = w / total
            let mean = Double(n) * p
            let se = (Double(n) * p * (1 - p)).squareRoot()
            #expect(abs(Double(counts[i]) - mean) <= 5 * se, "symbol \(i): \(counts[i]) draws, expected \(mean) +- \(se)")
        }
    }

    @Test("bad weights are refused")
    func badWeights() {
        for weights in [[], [-1, 2], [Double.nan], [0, 0], [Double.infinity], [Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude]] {
            #expect(throws: RewardBitsError.self, "\(weights)") { try SumTree(weights: weights) }
        }
    }
}
