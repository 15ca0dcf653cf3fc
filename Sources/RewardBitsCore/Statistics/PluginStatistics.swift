import Foundation

/// Counts of (S, O) cells for the model-free plug-in estimator, kept per
/// fixed group of blocks (block b belongs to group b mod 32) so that the
/// bootstrap can resample groups.
///
/// A block's result carries its samples' cells; merging adds them to its
/// group's histogram. Memory: 32 x cells x 4 bytes for the merged state.
public struct PluginStatistics: SufficientStatistics {
    public static let groups = 32
    /// |S| x |O|; cell = s |O| + o.
    public var cells = 0
    public var observationCount = 1
    public var groupCounts: [[UInt32]] = []
    /// A block's samples, before merging.
    public var blockCells: [UInt32] = []
    public var blockGroup = 0

    public init() {}

    public init(cells: Int, observations: Int, block: UInt64, capacity: Int) {
        self.cells = cells
        observationCount = observations
        blockGroup = Int(block % UInt64(Self.groups))
        blockCells.reserveCapacity(capacity)
    }

    public mutating func merge(_ next: PluginStatistics) {
        if groupCounts.isEmpty {
            cells = next.cells
            observationCount = next.observationCount
            groupCounts = [[UInt32]](repeating: [UInt32](repeating: 0, count: cells), count: Self.groups)
        }
        groupCounts[next.blockGroup].withUnsafeMutableBufferPointer { counts in
            for cell in next.blockCells { counts[Int(cell)] &+= 1 }
        }
        for (g, counts) in next.groupCounts.enumerated() where !counts.isEmpty {
            for (c, n) in counts.enumerated() where n > 0 { groupCounts[g][c] += n }
        }
    }

    public func encode(into writer: inout BinaryWriter) {
        writer.write(cells)
        writer.write(observationCount)
        writer.write(groupCounts.count)
        for counts in groupCounts { writer.write(counts) }
    }

    public init(from reader: inout BinaryReader) throws {
        cells = try reader.readInt()
        observationCount = try reader.readInt()
        let n = try reader.readInt()
        guard n == 0 || n == Self.groups else { throw BinaryReader.corrupt }
        groupCounts = try (0..<n).map { _ in
            let counts = try reader.readUInt32Array()
            guard counts.count == cells else { throw BinaryReader.corrupt }
            return counts
        }
    }

    /// Miller-Madow corrected plug-in I^ = H^(S) + H^(O) - H^(S, O) for cell
    /// counts n (with weights per group), in bits. H^_MM(X) = H^_ML(X) + (m - 1)/(2 N ln 2),
    /// m the number of occupied bins.
    public static func millerMadow(cellCounts: [Double], observations: Int, cells: Int, occupied: [Int]) -> Double {
        let subjects = cells / observations
        var nS = [Double](repeating: 0, count: subjects)
        var nO = [Double](repeating: 0, count: observations)
        var total = 0.0
        var sumJoint = CompensatedSum()
        var occupiedJoint = 0
        for c in occupied {
            let n = cellCounts[c]
            guard n > 0 else { continue }
            total += n
            nS[c / observations] += n
            nO[c % observations] += n
            sumJoint.add(n * log2(n))
            occupiedJoint += 1
        }
        guard total > 0 else { return 0 }
        func entropyTerms(_ counts: [Double]) -> (CompensatedSum, Int) {
            var sum = CompensatedSum()
            var occupied = 0
            for n in counts where n > 0 {
                sum.add(n * log2(n))
                occupied += 1
            }
            return (sum, occupied)
        }
        let (sumS, mS) = entropyTerms(nS)
        let (sumO, mO) = entropyTerms(nO)
        // H^(X) = log2 N - (1/N) sum n log2 n; the log2 N terms: +1 +1 -1.
        let ml = log2(total) - (sumS.value + sumO.value - sumJoint.value) / total
        let correction = Double(mS + mO - occupiedJoint - 1) / (2 * total * M_LN2)
        return ml + correction
    }

    /// Number of bootstrap replicates (groups resampled with replacement).
    public static let replicates = 200

    /// The plug-in estimate with a bootstrap interval: groups are resampled
    /// with replacement (weights drawn from a Philox stream keyed by the run's
    /// seed, so the interval is reproducible), the standard error is the
    /// replicates' standard deviation times sqrt(G / (G - 1)), and the
    /// interval estimate +- t_{G-1} se.
    public func estimate(level: Double, seed: UInt64) throws -> Estimate {
        guard !groupCounts.isEmpty else {
            throw RewardBitsError.invalidInput("the plug-in estimator needs at least one block")
        }
        var totals = [Double](repeating: 0, count: cells)
        for counts in groupCounts {
            for (c, n) in counts.enumerated() where n > 0 { totals[c] += Double(n) }
        }
        let occupied = totals.indices.filter { totals[$0] > 0 }
        let n = UInt64(totals.reduce(0, +))
        let value = Self.millerMadow(cellCounts: totals, observations: observationCount, cells: cells, occupied: occupied)
        var source = WordSource(PhiloxStream(StreamKey(seed: seed, block: UInt64.max - 1)))
        let pick = UniformSymbols(vocabularySize: UInt64(Self.groups))
        var replicateValues: [Double] = []
        var weighted = [Double](repeating: 0, count: cells)
        for _ in 0..<Self.replicates {
            var weights = [Double](repeating: 0, count: Self.groups)
            for _ in 0..<Self.groups { weights[Int(pick.draw(&source))] += 1 }
            for c in occupied {
                var sum = 0.0
                for g in 0..<Self.groups where weights[g] > 0 { sum += weights[g] * Double(groupCounts[g][c]) }
                weighted[c] = sum
            }
            replicateValues.append(Self.millerMadow(cellCounts: weighted, observations: observationCount,
                                                    cells: cells, occupied: occupied))
        }
        let mean = replicateValues.reduce(0, +) / Double(replicateValues.count)
        let variance = replicateValues.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(replicateValues.count - 1)
        // The spread of a 32-unit bootstrap is itself uncertain and biased low by (G - 1) / G:
        // rescale, and use Student-t with G - 1 degrees of freedom (batch means). With plain
        // normal quantiles the 95% interval covered 93.4% in the coverage study (N = 1e4).
        let g = Double(Self.groups)
        let se = (variance * g / (g - 1)).squareRoot()
        let t = try GSL.studentTQuantile((1 + level) / 2, degreesOfFreedom: g - 1)
        return Estimate(value: value, standardError: se, low: value - t * se, high: value + t * se,
                        level: level, method: .bootstrap, samples: n)
    }

    /// Blocks per run the plug-in's default block size aims at: eight per
    /// bootstrap group.
    public static let targetBlocks: UInt64 = 256

    /// The plug-in's block size for `samples`: small enough that every
    /// bootstrap group gets several blocks. An explicit size must leave at
    /// least one block per group.
    public static func blockSize(samples: UInt64, requested: UInt64?, default fallback: UInt64) throws -> UInt64 {
        if let requested {
            let blocks = (samples + requested - 1) / requested
            guard blocks >= UInt64(groups) else {
                throw RewardBitsError.invalidInput(
                    "--estimator plugin resamples \(groups) groups of blocks: --block-size \(requested) leaves only \(blocks) blocks; use --block-size \(max(1, samples / UInt64(groups))) or less")
            }
            return requested
        }
        return min(fallback, BlockPlan.powerOfTwoBlockSize(target: Double(samples) / Double(targetBlocks)))
    }

    /// The largest |S| x |O| the plug-in estimator accepts.
    public static let maximumCells = 1 << 24
}
