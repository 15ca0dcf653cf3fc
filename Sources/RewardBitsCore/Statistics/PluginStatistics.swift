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

    /// Added to the group count in the encoding when a block's raw cells
    /// follow the groups (a shard's record of one block); merged statistics,
    /// as checkpoints hold them, have none and encode as before.
    static let blockCellsMarker = 1 << 20

    /// Merged statistics: the 32 group tables (a group without samples written
    /// empty). One block (a shard's record): its group and its cells, one per
    /// sample, which is far smaller than a table of every cell.
    public func encode(into writer: inout BinaryWriter) {
        writer.write(cells)
        writer.write(observationCount)
        let withBlock = !blockCells.isEmpty
        writer.write(groupCounts.count + (withBlock ? Self.blockCellsMarker : 0))
        for counts in groupCounts { writer.write(counts.contains { $0 != 0 } ? counts : []) }
        if withBlock {
            writer.write(blockGroup)
            writer.write(blockCells)
        }
    }

    public init(from reader: inout BinaryReader) throws {
        cells = try reader.readInt()
        observationCount = try reader.readInt()
        var n = try reader.readInt()
        let withBlock = n >= Self.blockCellsMarker
        if withBlock { n -= Self.blockCellsMarker }
        guard n == 0 || n == Self.groups, cells >= 0 else { throw BinaryReader.corrupt }
        groupCounts = try (0..<n).map { _ in
            let counts = try reader.readUInt32Array()
            if counts.isEmpty { return [UInt32](repeating: 0, count: cells) }
            guard counts.count == cells else { throw BinaryReader.corrupt }
            return counts
        }
        if withBlock {
            blockGroup = try reader.readInt()
            blockCells = try reader.readUInt32Array()
            guard (0..<Self.groups).contains(blockGroup), blockCells.allSatisfy({ Int($0) < cells }) else {
                throw BinaryReader.corrupt
            }
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
        return finishMillerMadow(total: total, subjectCounts: nS, observationCounts: nO, jointSum: sumJoint.value,
                                 occupiedJoint: occupiedJoint) { $0 * log2($0) }
    }

    /// The Miller-Madow plug-in from its marginal counts and the joint
    /// table's sum of n log2 n over its `occupiedJoint` occupied cells;
    /// `xLog2x` is n log2 n (tabulated or not, the same values).
    @inline(__always)
    static func finishMillerMadow(total: Double, subjectCounts nS: [Double], observationCounts nO: [Double],
                                  jointSum: Double, occupiedJoint: Int, xLog2x: (Double) -> Double) -> Double {
        func entropyTerms(_ counts: [Double]) -> (CompensatedSum, Int) {
            var sum = CompensatedSum()
            var occupied = 0
            for n in counts where n > 0 {
                sum.add(xLog2x(n))
                occupied += 1
            }
            return (sum, occupied)
        }
        let (sumS, mS) = entropyTerms(nS)
        let (sumO, mO) = entropyTerms(nO)
        // H^(X) = log2 N - (1/N) sum n log2 n; the log2 N terms: +1 +1 -1.
        let ml = log2(total) - (sumS.value + sumO.value - jointSum) / total
        let correction = Double(mS + mO - occupiedJoint - 1) / (2 * total * M_LN2)
        return ml + correction
    }

    /// Bootstrap replicates (groups resampled with replacement): 1000, so
    /// that each tail quantile rests on about 19 replicates, fewer (down to
    /// 200) where the table is so large that 1000 replicates would take
    /// more than a few seconds (each costs groups x occupied cells).
    public static func replicates(occupiedCells: Int) -> Int {
        let budget = 1 << 33
        return max(200, min(1000, budget / max(1, occupiedCells * groups)))
    }

    /// The plug-in estimate with a bootstrap interval. Groups are resampled
    /// with replacement (weights from a Philox stream keyed by the run's
    /// seed, so the interval is reproducible). The standard error is the
    /// replicates' standard deviation times sqrt(G / (G - 1)).
    ///
    /// The interval is a recentred, expanded percentile interval: the
    /// estimate plus the replicates' deviations from their own mean at the
    /// tail probability Phi(-sqrt(G / (G - 1)) t_{G-1}) instead of
    /// (1 - level) / 2. Expanding (Hesterberg 2015) corrects the
    /// bootstrap's spread for having only G = 32 units, as t_{G-1} does for
    /// a normal interval; the percentile shape follows the skew of a
    /// plug-in entropy at small N (at N = 100, V = 2 a symmetric
    /// t-interval covered E[plug-in] 91.6% of the time in the coverage
    /// study, this one 95%); and recentring on the estimate removes the
    /// bootstrap's own bias, which at large V and small N pushed an
    /// uncentred percentile interval off the target (below 50% coverage
    /// for V = 8, N = 200 in a simulation, 97.7% recentred). The interval
    /// always contains the estimate: a bound on the wrong side of it (a
    /// lopsided bootstrap) is moved to it.
    public func estimate(level: Double, seed: UInt64) throws -> Estimate {
        guard !groupCounts.isEmpty else {
            throw RewardBitsError.invalidInput("the plug-in estimator needs at least one block")
        }
        let groups = Self.groups
        // Per cell, the total over groups (exact: integers below 2^53).
        var totals = [Double](repeating: 0, count: cells)
        totals.withUnsafeMutableBufferPointer { totals in
            for counts in groupCounts {
                counts.withUnsafeBufferPointer { counts in
                    for c in 0..<cells where counts[c] > 0 { totals[c] += Double(counts[c]) }
                }
            }
        }
        let occupied = totals.indices.filter { totals[$0] > 0 }
        let n = UInt64(totals.reduce(0, +))
        let value = Self.millerMadow(cellCounts: totals, observations: observationCount, cells: cells, occupied: occupied)
        // The occupied cells' counts, cell by cell (the 32 groups of a cell
        // side by side), with each cell's subject and observation: the
        // bootstrap reads them once per replicate in one sequential pass.
        let table = OccupiedCells(groupCounts: groupCounts, occupied: occupied, observations: observationCount)
        var source = WordSource(PhiloxStream(StreamKey(seed: seed, block: UInt64.max - 1)))
        let pick = UniformSymbols(vocabularySize: UInt64(groups))
        let count = Self.replicates(occupiedCells: occupied.count)
        var replicateValues: [Double] = []
        replicateValues.reserveCapacity(count)
        var weighted = [Double](repeating: 0, count: occupied.count)
        for _ in 0..<count {
            var weights = [Double](repeating: 0, count: groups)
            for _ in 0..<groups { weights[Int(pick.draw(&source))] += 1 }
            table.weigh(weights, into: &weighted)
            replicateValues.append(table.millerMadow(weighted))
        }
        let mean = replicateValues.reduce(0, +) / Double(count)
        let variance = replicateValues.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count - 1)
        let g = Double(Self.groups)
        let expansion = (g / (g - 1)).squareRoot()
        let se = variance.squareRoot() * expansion
        let t = try GSL.studentTQuantile((1 + level) / 2, degreesOfFreedom: g - 1)
        let tail = GSL.normalCDF(-expansion * t)
        replicateValues.sort()
        let low = value + (Self.quantile(replicateValues, tail) - mean)
        let high = value + (Self.quantile(replicateValues, 1 - tail) - mean)
        return Estimate(value: value, standardError: se, low: min(low, value), high: max(high, value),
                        level: level, method: .bootstrap, samples: n)
    }

    /// The p-quantile of sorted values, interpolating linearly between
    /// order statistics (Hyndman and Fan's type 7, numpy's default).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let position = p * Double(sorted.count - 1)
        let i = Int(position.rounded(.down))
        guard i + 1 < sorted.count else { return sorted[sorted.count - 1] }
        let fraction = position - Double(i)
        return sorted[i] + fraction * (sorted[i + 1] - sorted[i])
    }

    /// Blocks per run the plug-in's default block size aims at: eight per
    /// bootstrap group.
    public static let targetBlocks: UInt64 = 256

    /// The plug-in's block size for `samples`: small enough that every
    /// bootstrap group gets several blocks. An explicit size must leave at
    /// least one block per group.
    public static func blockSize(samples: UInt64, requested: UInt64?, default fallback: UInt64) throws -> UInt64 {
        if let requested {
            let blocks = samples == 0 ? 0 : (samples - 1) / requested + 1
            guard blocks >= UInt64(groups) else {
                throw RewardBitsError.invalidInput(
                    "\(Parameter.estimator) plugin resamples \(groups) groups of blocks: \(Parameter.blockSize) \(requested) leaves only \(blocks) blocks; use \(Parameter.blockSize) \(max(1, samples / UInt64(groups))) or less")
            }
            return requested
        }
        return min(fallback, BlockPlan.powerOfTwoBlockSize(target: Double(samples) / Double(targetBlocks)))
    }

    /// The largest |S| x |O| the plug-in estimator accepts.
    public static let maximumCells = 1 << 24
}

/// The occupied cells of a plug-in table for the bootstrap: counts stored
/// cell by cell (cell i's 32 group counts at 32 i ..< 32 i + 32), and each
/// cell's subject s and observation o (cell = s |O| + o), in increasing cell
/// order.
struct OccupiedCells {
    let counts: [UInt32]
    let subjects: [Int]
    let observations: [Int]
    let subjectCount: Int
    let observationCount: Int
    /// n log2 n for integers n below `xLog2xLimit`, computed once per
    /// process: the same expression as `PluginStatistics.millerMadow`
    /// evaluates, so the same bits.
    static let xLog2xLimit = 1 << 16
    static let xLog2xTable: [Double] = (0..<xLog2xLimit).map { i in i == 0 ? 0 : Double(i) * log2(Double(i)) }
    let xLog2x = Self.xLog2xTable

    init(groupCounts: [[UInt32]], occupied: [Int], observations: Int) {
        let groups = PluginStatistics.groups
        var counts = [UInt32](repeating: 0, count: occupied.count * groups)
        for (g, group) in groupCounts.enumerated() {
            for (i, c) in occupied.enumerated() { counts[i * groups + g] = group[c] }
        }
        self.counts = counts
        subjects = occupied.map { $0 / observations }
        self.observations = occupied.map { $0 % observations }
        subjectCount = (groupCounts.first?.count ?? 0) / observations
        observationCount = observations
    }

    /// weighted[i] = sum over groups g of weights[g] x counts of cell i in
    /// group g. Every product and partial sum is an integer below 2^53
    /// (weights at most 32, counts below 2^32), so the sums are exact in any
    /// order: four running sums give the bits of one.
    func weigh(_ weights: [Double], into weighted: inout [Double]) {
        let groups = PluginStatistics.groups
        weights.withUnsafeBufferPointer { w in
            counts.withUnsafeBufferPointer { counts in
                weighted.withUnsafeMutableBufferPointer { weighted in
                    for i in 0..<weighted.count {
                        let row = counts.baseAddress! + i * groups
                        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                        var g = 0
                        while g < groups {
                            s0 += w[g] * Double(row[g])
                            s1 += w[g + 1] * Double(row[g + 1])
                            s2 += w[g + 2] * Double(row[g + 2])
                            s3 += w[g + 3] * Double(row[g + 3])
                            g += 4
                        }
                        weighted[i] = (s0 + s1) + (s2 + s3)
                    }
                }
            }
        }
    }

    @inline(__always)
    func xLog2x(_ n: Double) -> Double {
        if n < Double(Self.xLog2xLimit), let i = Int(exactly: n) { return xLog2x[i] }
        return n * log2(n)
    }

    /// `PluginStatistics.millerMadow` for the counts `weighted` of these
    /// cells: the same sums in the same order.
    func millerMadow(_ weighted: [Double]) -> Double {
        var nS = [Double](repeating: 0, count: subjectCount)
        var nO = [Double](repeating: 0, count: observationCount)
        var total = 0.0
        var sumJoint = CompensatedSum()
        var occupiedJoint = 0
        weighted.withUnsafeBufferPointer { weighted in
            nS.withUnsafeMutableBufferPointer { nS in
                nO.withUnsafeMutableBufferPointer { nO in
                    for i in 0..<weighted.count {
                        let n = weighted[i]
                        guard n > 0 else { continue }
                        total += n
                        nS[subjects[i]] += n
                        nO[observations[i]] += n
                        sumJoint.add(xLog2x(n))
                        occupiedJoint += 1
                    }
                }
            }
        }
        guard total > 0 else { return 0 }
        return PluginStatistics.finishMillerMadow(total: total, subjectCounts: nS, observationCounts: nO,
                                                  jointSum: sumJoint.value, occupiedJoint: occupiedJoint) { xLog2x($0) }
    }
}
