import Foundation
import Testing
@_spi(Testing) import RewardBitsTestSupport
import RewardBits
@_spi(Testing) import RewardBitsCore

/// Monte-Carlo estimates against exact values: each must lie within 5
/// standard errors (fixed seeds; a correct estimator fails with probability
/// below 1e-6 per check).
@Suite("channels: estimates against exact values")
struct ChannelTests {
    @Test("single", arguments: [
        ("uniform", "uniform", "pointwise", 0.0),
        ("uniform", "uniform", "rb", 0.0),
        ("zipf:1.1", "zipf:1.1", "pointwise", 0.0),
        ("zipf:1.1", "zipf:1.1", "rb", 0.0),
        ("uniform", "zipf:1.1", "pointwise", 0.0),
        ("zipf:0.7", "uniform", "pointwise", 0.0),
        ("zipf:1.1", "zipf:1.1", "pointwise", 0.1),
        ("uniform", "uniform", "pointwise", 0.1),
        ("zipf:1.1", "uniform", "rb", 0.25),
    ])
    func single(prior: String, policy: String, estimator: String, noise: Double) throws {
        let channel = try SingleChannel(
            vocabularySize: 1024, prior: try DistributionSpec(parsing: prior, option: "--prior"),
            policy: try DistributionSpec(parsing: policy, option: "--policy"), noise: noise,
            estimator: EstimatorKind(rawValue: estimator)!, rollouts: 4_000_000)
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, result.exact!, "\(prior)/\(policy)/\(estimator)/eps=\(noise)")
        #expect(result.rollouts == 4_000_000)
    }

    @Test("single: a rare-success case keeps a non-zero-width interval that covers the exact value")
    func rareSuccess() throws {
        let channel = try SingleChannel(vocabularySize: 1 << 20, rollouts: 100_000)
        for seed: UInt64 in 1...5 {
            let result = try channel.run(settings: testSettings(seed: seed))
            #expect(result.estimate.high > result.estimate.low, "seed \(seed): zero-width interval")
            #expect(result.estimate.contains(result.exact!), "seed \(seed): [\(result.estimate.low), \(result.estimate.high)] misses \(result.exact!)")
            #expect(result.estimate.method == .blaker)
        }
    }

    @Test("group", arguments: [
        (UInt64(1024), 32, "uniform", "uniform", "rb"),
        (1024, 32, "uniform", "uniform", "pointwise"),
        (1 << 20, 64, "uniform", "uniform", "rb"),
        (1 << 20, 64, "uniform", "uniform", "pointwise"),
        (12, 5, "zipf:1.1", "zipf:1.1", "rb"),
        (12, 5, "zipf:1.1", "zipf:1.1", "pointwise"),
        (10, 4, "uniform", "zipf:0.8", "rb"),
        (10, 4, "zipf:1.5", "uniform", "pointwise"),
        (16, 1, "zipf:1.1", "zipf:2", "rb"),
        (3, 40, "uniform", "uniform", "rb"),
        (300, 2, "zipf:1.1", "zipf:1.1", "rb"),
        (300, 2, "zipf:1.1", "uniform", "pointwise"),
        // Past the register path (K > 64): distinct tokens by stamps.
        (1000, 100, "uniform", "uniform", "rb"),
        (10, 70, "uniform", "zipf:0.8", "pointwise"),
    ])
    func group(v: UInt64, k: Int, prior: String, policy: String, estimator: String) throws {
        let channel = try GroupChannel(
            vocabularySize: v, groupSize: k, prompts: 400_000,
            prior: try DistributionSpec(parsing: prior, option: "--prior"),
            policy: try DistributionSpec(parsing: policy, option: "--policy"),
            estimator: EstimatorKind(rawValue: estimator)!)
        let result = try channel.run(settings: testSettings())
        let values = channel.exactValues()
        let exact = (information: try #require(values.information),
                     meanLog2DistinctPlus1: try #require(values.meanLog2DistinctPlus1))
        expectNear(result.estimate, exact.information, "V=\(v) K=\(k) \(prior)/\(policy)/\(estimator)")
        let bound = try #require(result.boundEstimates.first { $0.0 == "mean_log2_M_plus_1" }?.1)
        expectNear(bound, exact.meanLog2DistinctPlus1, "E[log2(M+1)]")
        #expect(result.rollouts == 400_000 * UInt64(k))
        #expect(result.estimate.value <= log2(Double(k) + 1) + 5 * result.estimate.standardError)
    }

    @Test("group under Zipf at large V has no exact value but respects its bounds")
    func groupLargeZipf() throws {
        let channel = try GroupChannel(vocabularySize: 65536, groupSize: 32, prompts: 100_000,
                                       prior: .zipf(1.1), policy: .zipf(1.1))
        let result = try channel.run(settings: testSettings())
        #expect(result.exact == nil)
        #expect(result.estimate.z(against: result.exact) == nil)
        let bound = try #require(result.boundEstimates.first?.1)
        #expect(result.estimate.value < bound.value)
        #expect(result.estimate.value > 0)
    }

    @Test("token", arguments: [
        (256, 0.5, 0.0), (256, 0.5, 0.1), (100, 0.3, 0.05), (64, 0.3, 0.0), (1, 0.5, 0.25), (130, 0.9, 0.2), (70, 0.0, 0.1),
    ])
    func token(length: Int, p: Double, eps: Double) throws {
        let channel = try TokenChannel(length: length, episodes: 200_000, targetBias: p, noise: eps)
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, channel.exactValue(), "T=\(length) p=\(p) eps=\(eps)")
        if p == 0.5 && eps == 0 {
            #expect(result.estimate.value == Double(length))
            #expect(result.estimate.method == .zeroVariance)
        }
    }

    @Test("sft expert", arguments: [("uniform", 1.0 / 8), ("zipf:1.1", 0.1), ("zipf:2", 0.5), ("zipf:1.1", 0.01)])
    func sftExpert(prior: String, alpha: Double) throws {
        let channel = try SFTChannel(vocabularySize: 1000, positives: 500_000, mode: .expert, alpha: alpha,
                                     prior: try DistributionSpec(parsing: prior, option: "--prior"))
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, channel.exactValue(), "\(prior) alpha=\(alpha)")
        #expect(result.rollouts == 0)
    }

    @Test("sft filtered", arguments: [
        ("uniform", "uniform"), ("zipf:1.1", "zipf:1.1"), ("uniform", "zipf:0.5"), ("zipf:1", "uniform"),
    ])
    func sftFiltered(prior: String, policy: String) throws {
        let channel = try SFTChannel(vocabularySize: 64, positives: 200_000, mode: .filtered,
                                     prior: try DistributionSpec(parsing: prior, option: "--prior"),
                                     policy: try DistributionSpec(parsing: policy, option: "--policy"))
        let result = try channel.run(settings: testSettings())
        expectNear(result.estimate, channel.exactValue(), "\(prior)/\(policy)")
        // Rollouts are counted one by one: their mean is E[L] within 5 se.
        let meanL = Double(result.rollouts) / 200_000
        #expect(abs(meanL - channel.expectedRolloutsPerPositive()) < 0.05 * channel.expectedRolloutsPerPositive())
    }

    /// Under a peaked policy and a flat prior one long search can take much
    /// of all rollouts; the warning fires when it takes more than twice the
    /// ln(n)/n share the largest of n light-tailed searches would.
    @Test("sft filtered warns about heavy tails under a peaked policy and a flat prior")
    func heavyTail() throws {
        let channel = try SFTChannel(vocabularySize: 256, positives: 50, mode: .filtered, prior: .uniform, policy: .zipf(2))
        var warned = 0
        for seed in 1...20 {
            let result = try channel.run(settings: testSettings(seed: UInt64(seed)))
            warned += result.warnings.filter { $0.contains("heavy tail") }.count
        }
        #expect(warned >= 2, "\(warned) of 20 runs warned")
        let light = try SFTChannel(vocabularySize: 256, positives: 50, mode: .filtered).run(settings: testSettings())
        #expect(light.warnings.isEmpty)
    }

    @Test("sft filtered refuses a policy that cannot reach the prior's support")
    func unreachable() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rb-policy-\(getpid()).txt")
        try "1\n1\n0\n1\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: RewardBitsError.self) {
            try SFTChannel(vocabularySize: 4, positives: 10, mode: .filtered, policy: .file(url.path))
        }
    }

    @Test("philox and gsl:mt19937 agree within the intervals")
    func generatorsAgree() throws {
        let mt = try RandomGenerator(parsing: "gsl:mt19937")
        let specs: [(String, () throws -> ChannelResult, () throws -> ChannelResult)] = [
            ("group", {
                try GroupChannel(vocabularySize: 1024, groupSize: 32, prompts: 200_000).run(settings: testSettings())
            }, {
                try GroupChannel(vocabularySize: 1024, groupSize: 32, prompts: 200_000).run(settings: testSettings(generator: mt))
            }),
            ("single zipf", {
                try SingleChannel(vocabularySize: 1024, prior: .zipf(1.1), policy: .zipf(1.1), rollouts: 2_000_000).run(settings: testSettings())
            }, {
                try SingleChannel(vocabularySize: 1024, prior: .zipf(1.1), policy: .zipf(1.1), rollouts: 2_000_000)
                    .run(settings: testSettings(generator: mt))
            }),
            ("token", {
                try TokenChannel(length: 100, episodes: 100_000, targetBias: 0.3, noise: 0.1).run(settings: testSettings())
            }, {
                try TokenChannel(length: 100, episodes: 100_000, targetBias: 0.3, noise: 0.1).run(settings: testSettings(generator: mt))
            }),
        ]
        for (name, a, b) in specs {
            let x = try a().estimate, y = try b().estimate
            let se = (x.standardError * x.standardError + y.standardError * y.standardError).squareRoot()
            #expect(abs(x.value - y.value) <= 5 * se, "\(name): philox \(x.value) vs mt19937 \(y.value), se \(se)")
            #expect(x.value != y.value, "\(name): the generators gave identical numbers")
        }
    }

    @Test("the same spec and seed give the same numbers for 1, 2 and 3 threads (in process)")
    func determinism() throws {
        func run(_ threads: Int) throws -> [String] {
            let settings = testSettings(threads: threads, blockSize: 5000)
            return [
                try GroupChannel(vocabularySize: 1024, groupSize: 32, prompts: 123_457).run(settings: settings),
                try GroupChannel(vocabularySize: 100, groupSize: 8, prompts: 54_321, prior: .zipf(1.1), policy: .zipf(0.9))
                    .run(settings: settings),
                try SingleChannel(vocabularySize: 1000, prior: .zipf(1.1), rollouts: 777_777).run(settings: settings),
                try TokenChannel(length: 77, episodes: 33_333, targetBias: 0.3, noise: 0.1).run(settings: settings),
                try SFTChannel(vocabularySize: 50, positives: 44_444, prior: .zipf(1), policy: .zipf(0.5)).run(settings: settings),
            ].map { result in
                var json = result.json
                if case .object(let members) = json {
                    json = .object(members.filter { !ChannelResult.timingFields.contains($0.0) })
                }
                return json.serialized()
            }
        }
        let one = try run(1)
        #expect(try run(2) == one)
        #expect(try run(3) == one)
    }

    /// Every compiled copy of the kernels (portable, AVX2, AVX-512) that this
    /// CPU supports gives exactly the same numbers.
    @Test("every instruction set gives bitwise-identical results")
    func instructionSets() throws {
        let supported = InstructionSet.allCases.filter(\.isSupported)
        func run(_ set: InstructionSet) throws -> [String] {
            var settings = testSettings(blockSize: 7000)
            settings.instructionSet = set
            let results = [
                try SingleChannel(vocabularySize: 1024, rollouts: 300_001).run(settings: settings),
                try SingleChannel(vocabularySize: 256, noise: 0.1, rollouts: 300_001).run(settings: settings),
                try SingleChannel(vocabularySize: 100, prior: .zipf(1.1), policy: .zipf(1), rollouts: 100_000).run(settings: settings),
                try GroupChannel(vocabularySize: 1024, groupSize: 32, prompts: 50_001).run(settings: settings),
                try GroupChannel(vocabularySize: 1024, groupSize: 7, prompts: 50_001, estimator: .pointwise).run(settings: settings),
                // K <= 32 over a packed uniform V: AVX-512 counts distinct
                // tokens by conflict detection, the others with stamps.
                try GroupChannel(vocabularySize: 64, groupSize: 17, prompts: 20_001).run(settings: settings),
                try GroupChannel(vocabularySize: 16, groupSize: 24, prompts: 20_001, estimator: .pointwise).run(settings: settings),
                try GroupChannel(vocabularySize: 256, groupSize: 16, prompts: 20_001, estimator: .pointwise).run(settings: settings),
                try GroupChannel(vocabularySize: 1024, groupSize: 32, prompts: 50_001, estimator: .pointwise).run(settings: settings),
                try GroupChannel(vocabularySize: 2, groupSize: 32, prompts: 20_001).run(settings: settings),
                try GroupChannel(vocabularySize: 32, groupSize: 32, prompts: 20_001, estimator: .pointwise).run(settings: settings),
                try GroupChannel(vocabularySize: 1 << 16, groupSize: 32, prompts: 20_001).run(settings: settings),
                // A uniform prior over a V that does not pack, and a Zipf
                // policy: a stamp per symbol, and registers up to K = 64.
                try GroupChannel(vocabularySize: 1000, groupSize: 100, prompts: 20_001).run(settings: settings),
                // K <= 32 there: the AVX2 copy sorts 16 prompts side by side.
                try GroupChannel(vocabularySize: 1000, groupSize: 32, prompts: 20_001, estimator: .pointwise).run(settings: settings),
                try GroupChannel(vocabularySize: 1024, groupSize: 20, prompts: 20_001, policy: .zipf(1.1), estimator: .pointwise)
                    .run(settings: settings),
                try GroupChannel(vocabularySize: 1024, groupSize: 48, prompts: 20_001, policy: .zipf(1.1), estimator: .pointwise)
                    .run(settings: settings),
                try GroupChannel(vocabularySize: 5000, groupSize: 16, prompts: 20_000, prior: .zipf(1.1), policy: .zipf(1.1))
                    .run(settings: settings),
                // Alias draws with odd counts and 1 or 17 column bits.
                try GroupChannel(vocabularySize: 70_000, groupSize: 7, prompts: 20_001, prior: .zipf(1.1), policy: .zipf(1.1))
                    .run(settings: settings),
                try SingleChannel(vocabularySize: 2, prior: .zipf(1.1), policy: .zipf(2), rollouts: 100_001).run(settings: settings),
                try GroupChannel(vocabularySize: 64, groupSize: 8, prompts: 20_000, noise: 0.1).run(settings: settings),
                try TokenChannel(length: 300, episodes: 20_001, targetBias: 0.3, noise: 0.1).run(settings: settings),
                try TokenChannel(length: 256, episodes: 20_001, noise: 0.1).run(settings: settings),
                try TokenChannel(length: 64, episodes: 20_001, noise: 0.05, reward: .checkpoint(8)).run(settings: settings),
                try SFTChannel(vocabularySize: 1024, positives: 20_001).run(settings: settings),
                try SFTChannel(vocabularySize: 60, positives: 20_001, prior: .zipf(1), policy: .zipf(0.5)).run(settings: settings),
            ]
            return results.map { result in
                var json = result.json
                if case .object(let members) = json {
                    json = .object(members.filter { !ChannelResult.timingFields.contains($0.0) })
                }
                return json.serialized()
            }
        }
        let reference = try run(.portable)
        for set in supported where set != .portable {
            let other = try run(set)
            for (a, b) in zip(reference, other) { #expect(a == b, "\(set) differs from portable") }
        }
    }

    /// The packed filtered-SFT kernel (uniform prior and policy over
    /// V = 2^b) against a scalar reading of the same words: answers from
    /// their own 16-word vectors, then per positive whole rollout vectors,
    /// symbol j * 16 + i being field j of word i, until the first rollout
    /// equal to the answer in that order; the rest of its vector is never a
    /// rollout. Counts, sums and the largest count must agree exactly, in
    /// every kernel copy.
    @Test("packed filtered SFT ends each positive at its first match in stream order",
          arguments: [UInt64(2), 8, 64, 1024, 1 << 16])
    func sftPackedFirstMatch(vocabulary v: UInt64) throws {
        let bits = v.trailingZeroBitCount
        let fields = 32 / bits
        let perVector = 16 * fields
        let positives = v == 1 << 16 ? 150 : 2000
        let key = StreamKey(seed: 77, block: 5)
        var source = WordSource(PhiloxStream(key))
        var counts: [UInt64] = []
        var answers = [UInt32]()
        for _ in 0..<positives {
            if answers.isEmpty {
                let vector = source.nextVector()
                answers = (0..<perVector).map { (vector[$0 % 16] >> UInt32(($0 / 16) * bits)) & UInt32(v - 1) }
            }
            let answer = answers.removeFirst()
            var drawn: UInt64 = 0
            search: while true {
                let vector = source.nextVector()
                for j in 0..<fields {
                    for i in 0..<16 {
                        drawn += 1
                        if (vector[i] >> UInt32(j * bits)) & UInt32(v - 1) == answer { break search }
                    }
                }
            }
            counts.append(drawn)
        }
        let total = counts.reduce(0, +)
        let squares = counts.reduce(UInt128(0)) { $0 + UInt128($1) * UInt128($1) }
        let sampler = AnySymbolSampler.uniform(UniformSymbols(vocabularySize: v))
        for set in InstructionSet.allCases.filter(\.isSupported) {
            let kernel = set.kernels(as: (any SFTKernelFactory.Type).self).sftFiltered(prior: sampler, policy: sampler, surprise: [], constant: Double(bits),
                                                 binWidth: nil)
            let result = kernel.run(block: 5, samples: positives, stream: key, generator: .philox)
            let s = result.statistics
            #expect(s.count == UInt64(positives) && result.rollouts == total, "\(set), V = \(v)")
            #expect(s.rollouts == total && s.rolloutSquares == squares && s.maximumRollouts == counts.max()!,
                    "\(set), V = \(v): \(s.rollouts) rollouts against \(total)")
        }
    }

    /// The kernels' alias draws (eight per gather in the AVX-512 copy)
    /// against `AliasTable.fill` from the same words: tables of 2 to 2^16
    /// columns, the reader started at every offset 0 to 17 (so pairs of
    /// words straddle its 1024-word buffer's end, odd and even), in calls
    /// of 1 to 300 symbols.
    @Test("kernel alias draws equal AliasTable.fill word for word")
    func aliasSymbolsMatchFill() throws {
        let tables = try [2, 3, 1000, 1024, 65536].map { v in
            try AliasTable(probabilities: (1...v).map { 1 / pow(Double($0), 1.1) })
        }
        let sizes = [1, 7, 8, 9, 300, 16, 15, 17, 64, 128, 255, 33, 8, 8, 1, 200]
        for set in InstructionSet.allCases.filter(\.isSupported) {
            for table in tables {
                for skip in 0...17 {
                    let key = StreamKey(seed: 42, block: UInt64(skip))
                    let drawn = set.testHooks.aliasSymbols(table, stream: key, skip: skip, sizes: sizes + sizes + sizes)
                    var source = WordSource(PhiloxStream(key))
                    for _ in 0..<skip { _ = source.next() }
                    var expected = [UInt32](repeating: 0, count: drawn.count)
                    expected.withUnsafeMutableBufferPointer { table.fill($0.baseAddress!, count: $0.count, from: &source) }
                    #expect(drawn == expected, "\(set), V = \(table.vocabularySize), skip \(skip)")
                }
            }
        }
    }

    /// The group kernel's classes of 16 prompts at once (in the AVX2 copy a
    /// sorting network over 8, 16 or 32 rows, one prompt per lane) against
    /// a set's count and membership: every K from 1 to 32 (so every row
    /// count, with padded rows), the extreme tokens 0 and 2^16 - 1, all
    /// equal, all distinct, repeats at every distance, answers drawn and
    /// not, and random prompts over small and large alphabets.
    @Test("16-prompt group classes equal a set's count and membership")
    func groupClasses16() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 16
        }
        var sets: [[[UInt32]]] = []
        for k in 1...32 {
            var special: [[UInt32]] = [Array(repeating: 0, count: k), Array(repeating: 65535, count: k),
                                       (0..<k).map { UInt32($0) }, (0..<k).map { 65535 - UInt32($0) * 2047 },
                                       (0..<k).map { $0 % 2 == 0 ? 0 : 65535 }]
            for distance in 1..<max(k, 2) where distance < k {
                var g = (0..<k).map { UInt32(65535 - $0) }
                g[k - 1] = g[k - 1 - distance]
                special.append(g)
            }
            for start in stride(from: 0, to: special.count, by: 16) {
                var set = Array(special[start..<min(start + 16, special.count)])
                while set.count < 16 { set.append((0..<k).map { _ in UInt32(next() % 3) }) }
                sets.append(set)
            }
            for _ in 0..<200 {
                let alphabet = UInt64([2, 16, 40, 1024, 65536][Int(next() % 5)])
                sets.append((0..<16).map { _ in (0..<k).map { _ in UInt32(next() % alphabet) } })
            }
        }
        for set in InstructionSet.allCases.filter(\.isSupported) {
            var wrong = 0
            for prompts in sets {
                // Answers: one of the prompt's tokens or, half the time, a value it may lack.
                let answers = prompts.map { p in next() % 2 == 0 ? p[Int(next() % UInt64(p.count))] : UInt32(next() % 65536) }
                let expectedRB = prompts.map { Set($0).count }
                let expectedPointwise = zip(prompts, answers).map { 2 * Set($0).count + ($0.contains($1) ? 1 : 0) }
                if set.testHooks.groupClasses16(prompts, answers: nil) != expectedRB { wrong += 1 }
                if set.testHooks.groupClasses16(prompts, answers: answers) != expectedPointwise { wrong += 1 }
            }
            #expect(wrong == 0, "\(set): \(wrong) of \(2 * sets.count) sets of 16 prompts wrong")
        }
    }

    /// The group kernel's sorting network against a set's count, on groups
    /// chosen to break it: the extreme tokens 0 and 2^16 - 1, all equal, all
    /// distinct, one repeat at every distance, every K from 1 to 32 (with
    /// junk in the unused lanes), and random groups over small alphabets;
    /// each alone and side by side with another (the two-group network).
    @Test("sorting-network distinct count equals the set's count")
    func distinctTokensBySorting() {
        var groups: [[UInt32]] = [[0], [65535], [65535, 0], Array(repeating: 65535, count: 32), Array(repeating: 0, count: 32),
                                  (0..<32).map { UInt32($0) }, (0..<32).map { 65535 - UInt32($0) * 2047 }]
        for k in 1...32 {
            groups.append((0..<k).map { UInt32(($0 * 40503) % 65536) })
            for distance in 1..<k {
                var g = (0..<k).map { UInt32(65535 - $0) }
                g[k - 1] = g[k - 1 - distance]
                groups.append(g)
            }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let k = Int(state >> 59) + 1
            let alphabet = [2, 16, 40, 1024, 65536][Int((state >> 40) % 5)]
            groups.append((0..<k).map { i in UInt32((state &* UInt64(2 * i + 1) >> 20) % UInt64(alphabet)) })
        }
        for set in InstructionSet.allCases.filter(\.isSupported) {
            // Each group alone, and side by side with the next group of its
            // size (the two-group network), in both places.
            var wrong: [[UInt32]] = []
            for (i, x) in groups.enumerated() {
                let y = groups[(i + 1)...].first { $0.count == x.count } ?? x.reversed()
                let counts = set.testHooks.distinctTokensBySorting(x, pairedWith: y)
                let swapped = set.testHooks.distinctTokensBySorting(y, pairedWith: x)
                if counts != (Set(x).count, Set(x).count, Set(y).count) || swapped.paired != Set(y).count || swapped.partner != Set(x).count {
                    wrong.append(x)
                }
            }
            #expect(wrong.isEmpty, "\(set): \(wrong.count) groups miscounted, first \(wrong.first ?? [])")
        }
    }

    @Test("short last blocks: block size changes the streams but not the statistics")
    func blockSizes() throws {
        let channel = try TokenChannel(length: 50, episodes: 100_001, targetBias: 0.3, noise: 0.1)
        let a = try channel.run(settings: testSettings(blockSize: 1000))
        let b = try channel.run(settings: testSettings(blockSize: 65536))
        expectNear(a.estimate, channel.exactValue())
        expectNear(b.estimate, channel.exactValue())
        #expect(a.estimate.samples == 100_001 && b.estimate.samples == 100_001)
    }
}
