/// The generator family a run draws from: `philox` (default) or `gsl:NAME`.
public enum RandomGenerator: Sendable, Hashable, CustomStringConvertible {
    case philox
    case gsl(GSLGeneratorType)

    /// Parses `philox` or `gsl:NAME`; an unknown name lists the valid ones.
    public init(parsing text: String) throws {
        if text == "philox" {
            self = .philox
            return
        }
        if text.hasPrefix("gsl:") {
            let name = String(text.dropFirst(4))
            if let type = GSLGeneratorType.named(name) {
                if GSLGeneratorType.degenerateSeeding.contains(name) {
                    throw RewardBitsError.invalidInput(
                        "\(Parameter.generator) gsl:\(name) maps most seeds to the same stream, so the run's blocks would share streams; use \(Parameter.generator) philox or e.g. gsl:mt19937")
                }
                self = .gsl(type)
                return
            }
        }
        let names = GSLGeneratorType.all.map(\.name)
            .filter { !GSLGeneratorType.degenerateSeeding.contains($0) }
            .map { "gsl:\($0)" }
        throw RewardBitsError.invalidInput(
            "unknown \(Parameter.generator) '\(text)'; valid: philox, \(names.joined(separator: ", "))")
    }

    public var description: String {
        switch self {
        case .philox: return "philox"
        case .gsl(let type): return "gsl:\(type.name)"
        }
    }

    /// Known quality problems of the chosen generator, for the result's warnings.
    public var qualityWarnings: [String] {
        guard case .gsl(let type) = self, let warning = GSLGeneratorType.knownBiased[type.name] else { return [] }
        return [warning]
    }

    /// The largest number of blocks one run may use with this generator
    /// without two blocks sharing a stream.
    public var maximumBlocks: UInt64 {
        switch self {
        case .philox: return UInt64.max
        case .gsl: return GSLStream.seedSpace
        }
    }
}
