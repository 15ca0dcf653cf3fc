import Foundation
import Testing
import RewardBitsCore

/// The statistics of channels that report several values per sample.
@Suite("moments vector")
struct MomentsVectorTests {
    /// Values with a known mean ratio: b uniform in [1, 3], a = 2 b + noise.
    static func samples(_ n: Int, seed: UInt64) -> [[Double]] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) * 0x1p-53
        }
        return (0..<n).map { _ in
            let b = 1 + 2 * uniform()
            return [2 * b + (uniform() - 0.5) * 0.1, b]
        }
    }

    @Test("merging blocks equals adding every sample; the checkpoint form reads back bitwise")
    func mergeAndEncode() throws {
        let values = Self.samples(1000, seed: 7)
        var whole = MomentsVector(centers: [4, 2], pairs: [(0, 1)])
        for v in values { whole.add(v, rare: [v[0] > 5.5, false]) }
        var merged = MomentsVector()
        for block in stride(from: 0, to: values.count, by: 100) {
            var part = MomentsVector(centers: [4, 2], pairs: [(0, 1)])
            for v in values[block..<block + 100] { part.add(v, rare: [v[0] > 5.5, false]) }
            merged.merge(part)
        }
        #expect(merged.count == 1000)
        #expect(abs(merged.parts[0].mean - whole.parts[0].mean) <= 1e-12)
        var writer = BinaryWriter()
        merged.encode(into: &writer)
        var reader = BinaryReader(writer.bytes)
        let decoded = try MomentsVector(from: &reader)
        #expect(decoded == merged)
    }

    @Test("the ratio of means and its delta-method standard error")
    func ratio() throws {
        // Over many replicates the ratio's spread matches its standard error.
        var ratios: [Double] = [], errors: [Double] = []
        for seed in 1...200 {
            var m = MomentsVector(centers: [0, 0], pairs: [(0, 1)])
            for v in Self.samples(400, seed: UInt64(seed)) { m.add(v, rare: [false, false]) }
            let r = try #require(m.ratio(0, over: 1))
            ratios.append(r.value)
            errors.append(r.standardError)
        }
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        let spread = (ratios.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(ratios.count - 1)).squareRoot()
        let typical = errors.reduce(0, +) / Double(errors.count)
        #expect(abs(mean - 2) <= 5 * spread / Double(ratios.count).squareRoot())
        // 200 replicates estimate a spread to about 5% (1 / sqrt(2 * 199)); 5 of those.
        #expect(abs(typical / spread - 1) <= 5 * (1 / (2.0 * 199).squareRoot()))
    }
}
