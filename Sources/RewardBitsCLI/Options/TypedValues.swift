import ArgumentParser
import RewardBits

/// A size or count as users write it: 1e7, 10_000_000, 1.5e6 or 2^20 (an
/// exact whole number that fits in 64 bits). Options of this type say why
/// a value is refused ("is not a whole number; write e.g. ...").
struct Count: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var value: UInt64

    init(_ value: UInt64) { self.value = value }

    init?(argument: String) {
        guard let value = try? Parse.count(argument, option: nil) else { return nil }
        self.value = value
    }

    /// For `@Option(transform:)`: throws the reason a value is refused.
    static func parse(_ text: String) throws -> Count {
        do { return Count(try Parse.count(text, option: nil)) } catch let error as RewardBitsError {
            throw ValueError(error.description)
        }
    }

    var description: String { String(value) }

    /// The count as an `Int`, for sizes (V, K, T).
    func int(option: String) throws -> Int {
        guard value <= UInt64(Int.max) else { throw RewardBitsError.invalidInput("\(option) \(value) is too large") }
        return Int(value)
    }
}

/// A probability or fraction written as a decimal (0.0078125) or a ratio of
/// whole numbers (1/128).
enum Fraction {
    static func parse(_ text: String) throws -> Double {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, let numerator = Double(parts[0]), let denominator = Double(parts[1]), denominator != 0 {
            return numerator / denominator
        }
        guard parts.count == 1, let value = Double(text) else {
            throw ValueError("is not a number; write e.g. 0.0078125 or 1/128")
        }
        return value
    }
}

/// The prior of the answer and the policy of the rollouts, as the channels
/// over a vocabulary take them (`--prior`, `--policy`).
struct DistributionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Prior q of the answer S.", valueName: "uniform|zipf:S|file:PATH"), transform: Parsed.distribution)
    var prior: DistributionSpec = .uniform

    @Option(help: ArgumentHelp("Policy pi of the rollouts.", valueName: "uniform|zipf:S|file:PATH"), transform: Parsed.distribution)
    var policy: DistributionSpec = .uniform
}

/// Why a typed option's value was refused; ArgumentParser prints it after
/// "The value 'X' is invalid for '--option <value>':".
struct ValueError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The library's parsers for values with a syntax of their own (`zipf:1.1`,
/// `checkpoint:8`, `gsl:mt19937`), for `@Option(transform:)`: their messages
/// name the option, which ArgumentParser already does, so the name goes.
enum Parsed {
    static func distribution(_ text: String) throws -> DistributionSpec {
        try valueError { try DistributionSpec(parsing: text, option: "") }
    }

    static func reward(_ text: String) throws -> TokenReward {
        try valueError { try TokenReward(parsing: text) }
    }

    static func learner(_ text: String) throws -> LearnerKind {
        try valueError { try LearnerKind(parsing: text) }
    }

    static func generator(_ text: String) throws -> RandomGenerator {
        try valueError { try RandomGenerator(parsing: text) }
    }

    private static func valueError<T>(_ parse: () throws -> T) throws -> T {
        do { return try parse() } catch let error as RewardBitsError {
            var message = error.commandLineMessage
            for prefix in ["--reward ", "--rng ", "--learner "] where message.hasPrefix(prefix) {
                message.removeFirst(prefix.count)
            }
            throw ValueError(message)
        }
    }
}

extension EstimatorKind: ExpressibleByArgument {
    /// `ratio` is what filtered SFT reports, not an option.
    public static var allValueStrings: [String] { allCases.filter { $0 != .ratio }.map(\.rawValue) }
}
extension CountInterval: ExpressibleByArgument {}
extension SFTChannel.Mode: ExpressibleByArgument {}
extension FigureFormat: ExpressibleByArgument {}
extension Advantage: ExpressibleByArgument {}
