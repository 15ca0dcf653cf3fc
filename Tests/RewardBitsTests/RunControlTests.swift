import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

@Suite("plug-in estimator, histograms, stopping, checkpoints, sweeps")
struct RunControlTests {
    /// The plug-in estimator's bias E[plug-in] - I shrinks as N grows: with
    /// V = 64 (4096 reachable cells) it is large at N = 1e3 and gone by 1e6.
    @Test("plug-in bias shrinks with N")
    func pluginBias() throws {
        var biases: [(Double, Double)] = []
        for (n, seeds) in [(UInt64(1_000), 100), (10_000, 30), (100_000, 10), (1_000_000, 4)] {
            let channel = try SingleChannel(vocabularySize: 64, estimator: .plugin, rollouts: n)
            var values: [Double] = []
            for seed in 1...seeds {
                let result = try channel.run(settings: testSettings(seed: UInt64(seed)))
                values.append(result.estimate.value - result.exact!)
            }
            let mean = values.reduce(0, +) / Double(values.count)
            let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
            biases.append((mean, sd / Double(values.count).squareRoot()))
        }
        let (first, firstSE) = biases[0], (last, lastSE) = biases[3]
        #expect(first > 5 * firstSE, "the bias at N = 1e3 should be clearly positive: \(biases)")
        #expect(abs(first) - abs(last) > 5 * (firstSE * firstSE + lastSE * lastSE).squareRoot(), "\(biases)")
        for i in 0..<3 {
            let (a, sa) = biases[i], (b, sb) = biases[i + 1]
            #expect(abs(b) <= abs(a) + 5 * (sa * sa + sb * sb).squareRoot(), "bias grew from N step \(i): \(biases)")
        }
        #expect(abs(last) <= 5 * lastSE, "the bias at N = 1e6 should be within noise of 0: \(biases)")
    }

    @Test("the plug-in estimator is refused beyond 2^24 cells and for too few blocks")
    func pluginLimits() throws {
        #expect(throws: RewardBitsError.self) { try SingleChannel(vocabularySize: 4096, estimator: .plugin, rollouts: 100) }
        #expect(throws: RewardBitsError.self) { try TokenChannel(length: 9, episodes: 100, estimator: .plugin) }
        let channel = try SingleChannel(vocabularySize: 16, estimator: .plugin, rollouts: 1000)
        #expect(throws: RewardBitsError.self) { try channel.run(settings: testSettings(blockSize: 500)) }
        let token = try TokenChannel(length: 4, episodes: 100_000, targetBias: 0.3, noise: 0.1, reward: .checkpoint(2),
                                     estimator: .plugin)
        let result = try token.run(settings: testSettings())
        #expect(abs(result.estimate.value - token.exactValue()) < 0.05)
    }

    @Test("histograms: exact atoms under a uniform prior, bins otherwise; their mean is the estimate")
    func histograms() throws {
        let uniform = try SingleChannel(vocabularySize: 64, rollouts: 100_000)
        let a = try uniform.run(settings: testSettings(blockSize: 30_000).withHistogram(0.0625))
        guard case .atoms(let atoms) = try #require(a.histogram) else {
            Issue.record("expected atoms")
            return
        }
        #expect(atoms.count == 2)
        #expect(atoms.reduce(0) { $0 + $1.count } == 100_000)
        // A success at prior mass 1/64 carries log2(64) = 6 bits.
        #expect(atoms.contains { $0.value == 6 })
        let mean = atoms.reduce(0.0) { $0 + $1.value * Double($1.count) } / 100_000
        #expect(abs(mean - a.estimate.value) < 1e-12)

        let zipf = try SingleChannel(vocabularySize: 64, prior: .zipf(1.1), rollouts: 100_000)
        let z = try zipf.run(settings: testSettings().withHistogram(0.25))
        guard case .bins(let width, let rows) = try #require(z.histogram) else {
            Issue.record("expected bins")
            return
        }
        #expect(width == 0.25)
        #expect(rows.reduce(0) { $0 + $1.count } == 100_000)
        // Bin midpoints recover the mean to within half a bin.
        let binned = rows.reduce(0.0) { $0 + ($1.low + $1.high) / 2 * Double($1.count) } / 100_000
        #expect(abs(binned - z.estimate.value) <= width / 2)

        for run in [
            try GroupChannel(vocabularySize: 100, groupSize: 8, prompts: 10_000, prior: .zipf(1), estimator: .pointwise)
                .run(settings: testSettings().withHistogram(0.1)),
            try TokenChannel(length: 20, episodes: 10_000, targetBias: 0.3, noise: 0.1).run(settings: testSettings().withHistogram(0.1)),
            try TokenChannel(length: 20, episodes: 10_000, noise: 0.1, reward: .sum).run(settings: testSettings().withHistogram(0.1)),
            try SFTChannel(vocabularySize: 50, positives: 10_000, mode: .expert, alpha: 0.1, prior: .zipf(1))
                .run(settings: testSettings().withHistogram(0.1)),
            try SFTChannel(vocabularySize: 50, positives: 10_000, prior: .zipf(1)).run(settings: testSettings().withHistogram(0.1)),
        ] {
            let h = try #require(run.histogram, "\(run.channel)")
            #expect(h.total == run.estimate.samples, "\(run.channel)")
        }
    }

    @Test("--target-halfwidth stops at the first block boundary at or under the target, identically for 1 and 2 threads",
          arguments: [1e-3, 3e-4])
    func sequentialStopping(target: Double) throws {
        let channel = try GroupChannel(vocabularySize: 256, groupSize: 8, prompts: 100_000_000, prior: .zipf(1.1),
                                       policy: .zipf(1.1), estimator: .pointwise)
        let stopping = try SequentialStopping(targetHalfWidth: target, minimumSamples: 1000)
        var one = testSettings(threads: 1, blockSize: 2000)
        one.stopping = stopping
        var two = one
        two.threads = 2
        let a = try channel.run(settings: one)
        let b = try channel.run(settings: two)
        #expect(a.estimate == b.estimate)
        #expect(a.stoppedEarly)
        #expect(a.estimate.halfWidth <= target)
        #expect(a.estimate.samples % 2000 == 0)
        // One block fewer is not yet narrow enough in the form the stop
        // rule reads (Clopper-Pearson on the hit count, never narrower
        // than the reported Blaker form).
        let shorter = try GroupChannel(vocabularySize: 256, groupSize: 8, prompts: a.estimate.samples - 2000,
                                       prior: .zipf(1.1), policy: .zipf(1.1), estimator: .pointwise)
        var monitorSettings = testSettings(threads: 2, blockSize: 2000)
        monitorSettings.countInterval = .clopperPearson
        let previous = try shorter.run(settings: monitorSettings)
        #expect(previous.estimate.halfWidth > target)
    }

    @Test("rare-event channels keep going until 50 successes")
    func rareStopping() throws {
        let channel = try SingleChannel(vocabularySize: 1 << 16, rollouts: 1 << 30)
        var settings = testSettings(blockSize: 1 << 16)
        settings.stopping = try SequentialStopping(targetHalfWidth: 1, minimumSamples: 1)
        let result = try channel.run(settings: settings)
        // At 2^16 rollouts per block and one success per 2^16, 50 successes take ~50 blocks.
        #expect(result.estimate.samples >= 20 * (1 << 16))
        #expect(result.stoppedEarly)
        // The estimate is v0 + (16 - v0) k / N with v0 = -log2(1 - 2^-16):
        // read the success count back and check the rule's 50.
        let v0 = -log2(1 - 1 / 65536.0)
        let successes = ((result.estimate.value - v0) / (16 - v0) * Double(result.estimate.samples)).rounded()
        #expect(successes >= 50, "stopped after \(successes) successes")
    }
}

extension RunSettings {
    func withHistogram(_ width: Double) -> RunSettings {
        var copy = self
        copy.histogramBinWidth = width
        return copy
    }
}
