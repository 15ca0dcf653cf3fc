/// Weights over V symbols that change as a learner updates its policy, with
/// a draw and an update each O(log V): a complete binary tree whose leaves
/// are the weights and whose every inner node holds the sum of its two
/// children. An alias table draws in O(1) but costs O(V) to rebuild after
/// each change; an update that touches only the K sampled tokens of a step
/// (rloo, grpo) should cost O(K log V), not O(V).
///
/// Sums are recomputed from the children on every update rather than
/// adjusted by the change, so rounding never accumulates: the tree after any
/// sequence of updates is bitwise the tree built from the final weights.
public struct SumTree: Sendable {
    /// Leaves start at `leafOffset`; node i has children 2i and 2i + 1; the
    /// root is node 1.
    private var nodes: [Double]
    private let leafOffset: Int
    public let count: Int

    /// The tree over `weights`: each finite and non-negative, not all zero.
    public init(weights: [Double]) throws {
        guard !weights.isEmpty, weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw RewardBitsError.invalidInput("a sum tree needs finite, non-negative weights")
        }
        count = weights.count
        var offset = 1
        while offset < weights.count { offset <<= 1 }
        leafOffset = offset
        nodes = [Double](repeating: 0, count: 2 * offset)
        for (i, w) in weights.enumerated() { nodes[offset + i] = w }
        for node in stride(from: offset - 1, through: 1, by: -1) { nodes[node] = nodes[2 * node] + nodes[2 * node + 1] }
        guard total > 0, total.isFinite else {
            throw RewardBitsError.invalidInput("a sum tree needs weights that are not all zero, with a finite sum")
        }
    }

    /// The sum of all weights.
    public var total: Double { nodes[1] }

    /// The weight of `symbol`.
    public func weight(_ symbol: Int) -> Double { nodes[leafOffset + symbol] }

    /// Sets the weight of `symbol` (finite, non-negative) and the sums above it.
    public mutating func update(_ symbol: Int, weight: Double) {
        precondition(weight.isFinite && weight >= 0 && symbol >= 0 && symbol < count)
        var node = leafOffset + symbol
        nodes[node] = weight
        node >>= 1
        while node >= 1 {
            nodes[node] = nodes[2 * node] + nodes[2 * node + 1]
            node >>= 1
        }
    }

    /// The symbol whose slice of [0, total) holds `u` x total, for u in
    /// [0, 1): each symbol with probability weight / total. A symbol of
    /// weight 0 is never drawn.
    public func draw(_ u: Double) -> Int {
        var target = u * total
        var node = 1
        while node < leafOffset {
            let left = nodes[2 * node]
            // A right subtree of weight 0 is never entered, whatever rounding
            // did to the target.
            if target < left || nodes[2 * node + 1] == 0 {
                node = 2 * node
            } else {
                target -= left
                node = 2 * node + 1
            }
        }
        return node - leafOffset
    }

    /// A draw from one 64-bit random word (its top 53 bits as u).
    @inlinable
    public func draw(word: UInt64) -> Int { draw(Double(word >> 11) * 0x1p-53) }
}
