import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// Every exact value in the library checked against I(S; O) computed from the
/// definition, by enumerating the joint distribution of S and the full
/// observation for tiny vocabularies and lengths.
@Suite("exact values against brute-force enumeration")
struct EnumerationTests {
    static let q3 = [0.5, 0.3, 0.2]
    static let pi3 = [0.2, 0.2, 0.6]

    static func weightsFile(_ weights: [Double]) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("rb-enum-\(getpid())-\(weights.hashValue).txt")
        try weights.map { "\($0)" }.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("single: I(S; T, r) for any prior, policy and noise", arguments: [0.0, 0.15, 0.5])
    func single(noise: Double) throws {
        var joint = JointDistribution()
        for s in 0..<3 {
            for t in 0..<3 {
                for flip in 0..<2 {
                    let p = Self.q3[s] * Self.pi3[t] * (flip == 1 ? noise : 1 - noise)
                    let r = (t == s ? 1 : 0) ^ flip
                    joint.add(answer: s, observation: [t, r], probability: p)
                }
            }
        }
        let channel = try SingleChannel(vocabularySize: 3, prior: .file(try Self.weightsFile(Self.q3)),
                                        policy: .file(try Self.weightsFile(Self.pi3)), noise: noise, rollouts: 2)
        #expect(abs(channel.exactValue() - joint.mutualInformation) < 1e-12)
    }

    @Test("single: h(1/V) for a uniform prior")
    func singleUniform() throws {
        for v in [2, 5, 16] {
            var joint = JointDistribution()
            for s in 0..<v { for t in 0..<v {
                joint.add(answer: s, observation: [t, t == s ? 1 : 0], probability: 1 / Double(v * v))
            } }
            let channel = try SingleChannel(vocabularySize: UInt64(v), rollouts: 2)
            #expect(abs(channel.exactValue() - joint.mutualInformation) < 1e-12)
            #expect(abs(channel.exactValue() - Information.binaryEntropy(1 / Double(v))) < 1e-15)
        }
    }

    /// I(S; T_1..T_K, r_1..r_K) from the definition, and E[log2(M + 1)].
    static func groupBruteForce(q: [Double], pi: [Double], k: Int) -> (Double, Double) {
        let v = q.count
        var joint = JointDistribution()
        var meanLog = 0.0
        forEachTuple(base: v, length: k) { tokens in
            let pTokens = tokens.reduce(1.0) { $0 * pi[$1] }
            meanLog += pTokens * log2(Double(Set(tokens).count + 1))
            for s in 0..<v {
                joint.add(answer: s, observation: tokens + tokens.map { $0 == s ? 1 : 0 }, probability: q[s] * pTokens)
            }
        }
        return (joint.mutualInformation, meanLog)
    }

    @Test("group: non-uniform prior and policy by the subset recursion")
    func groupNonUniform() throws {
        let q = [0.4, 0.3, 0.2, 0.1]
        let pi = [0.1, 0.2, 0.3, 0.4]
        for k in [1, 2, 3, 5] {
            let (information, meanLog) = Self.groupBruteForce(q: q, pi: pi, k: k)
            let channel = try GroupChannel(vocabularySize: 4, groupSize: k, prompts: 2,
                                           prior: .file(try Self.weightsFile(q)), policy: .file(try Self.weightsFile(pi)))
            let values = channel.exactValues()
            let exact = (information: try #require(values.information),
                         meanLog2DistinctPlus1: try #require(values.meanLog2DistinctPlus1))
            #expect(abs(exact.information - information) < 1e-12, "K = \(k)")
            #expect(abs(exact.meanLog2DistinctPlus1 - meanLog) < 1e-12, "K = \(k)")
        }
    }

    @Test("group: the tuple enumeration agrees with brute force and with the subset recursion")
    func groupTuples() throws {
        let q = [0.4, 0.3, 0.2, 0.1]
        let pi = [0.1, 0.2, 0.3, 0.4]
        for k in [1, 3, 4] {
            let (information, meanLog) = Self.groupBruteForce(q: q, pi: pi, k: k)
            let tuples = try #require(GroupExact.tuples(prior: q, policy: pi, groupSize: k))
            #expect(abs(tuples.information - information) < 1e-12)
            #expect(abs(tuples.meanLog2DistinctPlus1 - meanLog) < 1e-12)
        }
        // V = 200, K = 2 is beyond the subset recursion; K = 1 is single's rb value.
        let wide = try GroupChannel(vocabularySize: 200, groupSize: 1, prompts: 2, prior: .zipf(1.1), policy: .zipf(0.7))
        let single = try SingleChannel(vocabularySize: 200, prior: .zipf(1.1), policy: .zipf(0.7), rollouts: 2)
        #expect(abs(try #require(wide.exactValue()) - single.exactValue()) < 1e-12)
        #expect(try GroupChannel(vocabularySize: 200, groupSize: 2, prompts: 2, prior: .zipf(1.1)).exactValue() != nil)
        #expect(try GroupChannel(vocabularySize: 200, groupSize: 5, prompts: 2, prior: .zipf(1.1)).exactValue() == nil)
    }

    @Test("group: uniform prior and policy by the occupancy recursion")
    func groupUniform() throws {
        for (v, k) in [(2, 3), (4, 3), (5, 4), (3, 6)] {
            let uniform = [Double](repeating: 1 / Double(v), count: v)
            let (information, meanLog) = Self.groupBruteForce(q: uniform, pi: uniform, k: k)
            let channel = try GroupChannel(vocabularySize: UInt64(v), groupSize: k, prompts: 2)
            let values = channel.exactValues()
            let exact = (information: try #require(values.information),
                         meanLog2DistinctPlus1: try #require(values.meanLog2DistinctPlus1))
            #expect(abs(exact.information - information) < 1e-12, "V = \(v), K = \(k)")
            #expect(abs(exact.meanLog2DistinctPlus1 - meanLog) < 1e-12)
            // And the subset recursion agrees with the occupancy one.
            let subsets = try #require(GroupExact.subsets(prior: uniform, policy: uniform, groupSize: k))
            #expect(abs(subsets.information - exact.information) < 1e-12)
        }
    }

    @Test("occupancy distribution matches enumeration")
    func occupancy() {
        let v = 5, k = 4
        var counts = [Double](repeating: 0, count: k + 1)
        forEachTuple(base: v, length: k) { counts[Set($0).count] += 1 }
        let total = pow(Double(v), Double(k))
        let p = Occupancy.distribution(vocabularySize: UInt64(v), draws: k)
        for m in 0...k { #expect(abs(p[m] - counts[m] / total) < 1e-15) }
    }

    @Test("token: T [h(p (*) eps) - h(eps)]", arguments: [(0.5, 0.0), (0.3, 0.1), (0.5, 0.2), (0.9, 0.0), (0.0, 0.3)])
    func token(p: Double, eps: Double) throws {
        let length = 3
        var joint = JointDistribution()
        forEachTuple(base: 2, length: 3 * length) { bits in
            let s = Array(bits[0..<length]), x = Array(bits[length..<2 * length]), e = Array(bits[2 * length..<3 * length])
            var probability = 1.0
            var reward: [Int] = []
            for t in 0..<length {
                probability *= (s[t] == 1 ? p : 1 - p) * 0.5 * (e[t] == 1 ? eps : 1 - eps)
                reward.append((x[t] == s[t] ? 1 : 0) ^ e[t])
            }
            let answer = s.reduce(0) { $0 * 2 + $1 }
            joint.add(answer: answer, observation: x + reward, probability: probability)
        }
        let channel = try TokenChannel(length: length, episodes: 2, targetBias: p, noise: eps)
        #expect(abs(channel.exactValue() - joint.mutualInformation) < 1e-12)
    }

    @Test("sft expert: H(tau) - log2(alpha V) for a cyclic good set")
    func sftExpert() throws {
        let q = [0.3, 0.05, 0.25, 0.1, 0.2, 0.1]
        for width in [1, 2, 3, 6] {
            var joint = JointDistribution()
            for s in 0..<6 {
                for u in 0..<width {
                    joint.add(answer: s, observation: [(s + u) % 6], probability: q[s] / Double(width))
                }
            }
            let channel = try SFTChannel(vocabularySize: 6, positives: 2, mode: .expert, alpha: Double(width) / 6,
                                         prior: .file(try Self.weightsFile(q)))
            #expect(abs(channel.exactValue() - joint.mutualInformation) < 1e-12, "alpha V = \(width)")
        }
        let uniform = try SFTChannel(vocabularySize: 1024, positives: 2, mode: .expert, alpha: 1.0 / 8)
        #expect(uniform.exactValue() == 3)
    }

    /// Filtered SFT: the transcript until the first success reveals S, so it
    /// carries H(q) bits; truncating the (infinite) enumeration at L <= 60
    /// leaves a tail below 1e-9 here. E[L] = sum q / pi.
    @Test("sft filtered: the transcript carries H(q) bits at E[L] = sum q/pi rollouts")
    func sftFiltered() throws {
        let q = [0.5, 0.3, 0.2]
        let pi = [0.6, 0.3, 0.1]
        var joint = JointDistribution()
        var expectedL = 0.0
        for s in 0..<3 {
            // Transcripts are sequences of failures then T = s; the failures'
            // tokens are irrelevant to S beyond "not s", so enumerate lengths.
            for length in 1...400 {
                let p = q[s] * pow(1 - pi[s], Double(length - 1)) * pi[s]
                expectedL += p * Double(length)
                joint.add(answer: s, observation: [s], probability: p)
            }
        }
        let channel = try SFTChannel(vocabularySize: 3, positives: 2, mode: .filtered,
                                     prior: .file(try Self.weightsFile(q)), policy: .file(try Self.weightsFile(pi)))
        #expect(abs(channel.expectedRolloutsPerPositive() - expectedL) < 1e-9)
        #expect(abs(channel.exactValue() - joint.mutualInformation / expectedL) < 1e-9)
    }
}
