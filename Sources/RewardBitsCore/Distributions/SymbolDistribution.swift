import Foundation

/// A distribution over the vocabulary {0, ..., V-1}: the prior q of the
/// answer S or the policy pi of the rollouts.
///
/// A uniform distribution stores nothing (V may be 2^32); any other one stores
/// its V probabilities, normalised, and is limited to `maximumExplicitSize`
/// symbols.
public struct SymbolDistribution: Sendable {
    public let spec: DistributionSpec
    public let vocabularySize: UInt64
    /// Normalised probabilities, or nil for the uniform distribution.
    public let probabilities: [Double]?

    public static let maximumExplicitSize: UInt64 = 1 << 24

    public var isUniform: Bool { probabilities == nil }

    public init(_ spec: DistributionSpec, vocabularySize: UInt64, option: Parameter) throws {
        self.spec = spec
        self.vocabularySize = vocabularySize
        switch spec {
        case .uniform:
            probabilities = nil
            return
        case .zipf, .file:
            guard vocabularySize <= Self.maximumExplicitSize else {
                throw RewardBitsError.invalidInput(
                    "\(option) \(spec) needs an explicit table of V = \(vocabularySize) probabilities; the limit is V <= 2^24 (use \(Parameter.vocabulary) 16777216 or less, or a uniform distribution)")
            }
        }
        let weights: [Double]
        switch spec {
        case .uniform:
            fatalError("unreachable")
        case .zipf(let exponent):
            weights = (0..<Int(vocabularySize)).map { pow(Double($0 + 1), -exponent) }
        case .file(let path):
            weights = try Self.readWeights(path: path, count: Int(vocabularySize), option: option)
        }
        // Sum from the smallest weight up (zipf weights decrease) with
        // compensation, so the normalisation is as accurate as a double allows.
        var total = CompensatedSum()
        for weight in weights.reversed() { total.add(weight) }
        let sum = total.value
        guard sum > 0, sum.isFinite else {
            throw RewardBitsError.invalidInput("\(option) \(spec): the weights must not all be zero and their sum must be finite")
        }
        probabilities = weights.map { $0 / sum }
    }

    static func readWeights(path: String, count: Int, option: Parameter) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RewardBitsError.unreadableInput("\(option) file:\(path): cannot read the file (check the path and its permissions)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RewardBitsError.unreadableInput("\(option) file:\(path): not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard lines.count == count else {
            throw RewardBitsError.unreadableInput(
                "\(option) file:\(path): expected exactly \(count) weights (one per line, V = \(Parameter.vocabulary)), found \(lines.count) lines")
        }
        var weights: [Double] = []
        weights.reserveCapacity(count)
        for (index, line) in lines.enumerated() {
            guard let weight = Double(line), weight.isFinite, weight >= 0 else {
                throw RewardBitsError.unreadableInput(
                    "\(option) file:\(path): line \(index + 1) is '\(line)', not a finite non-negative number")
            }
            weights.append(weight)
        }
        return weights
    }

    /// Probability of symbol `symbol`.
    @inlinable
    public func probability(_ symbol: Int) -> Double {
        if let probabilities { return probabilities[symbol] }
        return 1 / Double(vocabularySize)
    }

    /// The sampler for this distribution.
    public func makeSampler() throws -> AnySymbolSampler {
        if let probabilities { return .alias(try AliasTable(probabilities: probabilities)) }
        return .uniform(UniformSymbols(vocabularySize: vocabularySize))
    }

    /// Shannon entropy in bits.
    public var entropy: Double {
        guard let probabilities else { return log2(Double(vocabularySize)) }
        var total = CompensatedSum()
        // Above 1/2, 1 - p is exact and psi keeps the digits log2(p) loses.
        for p in probabilities { total.add(p > 0.5 ? Information.psi(1 - p) : Information.phi(p)) }
        return total.value
    }
}
