/// A parameter of a model or a run, as error messages name it. The library
/// words it for readers of the API ("the vocabulary size V"); the command
/// line names its flag instead (`--vocab`), so a message about bad input
/// tells each audience what to change.
public enum Parameter: String, Sendable, CaseIterable {
    case vocabulary, groupSize, length, rollouts, prompts, episodes, positives
    case noise, targetBias, alpha, reward, estimator, prior, policy, mode
    case threads, blockSize, confidence, targetHalfWidth, histogram, generator
    case rank, problems, samples, capacity, layers, hidden, intermediate, heads, kvHeads, headDim
    case checkpoint, outputFolder, baseline, history
    case advantage, advantageBaseline, steps, runs, learner, learningRate, entropyBonus

    /// The parameter in the library's words.
    public var words: String {
        switch self {
        case .vocabulary: return "the vocabulary size V"
        case .groupSize: return "the group size K"
        case .length: return "the length T"
        case .rollouts: return "the number of rollouts"
        case .prompts: return "the number of prompts"
        case .episodes: return "the number of episodes"
        case .positives: return "the number of positives"
        case .noise: return "the noise eps"
        case .targetBias: return "the target bias p"
        case .alpha: return "alpha"
        case .reward: return "the reward"
        case .estimator: return "the estimator"
        case .prior: return "the prior"
        case .policy: return "the policy"
        case .mode: return "the mode"
        case .threads: return "the thread count"
        case .blockSize: return "the block size"
        case .confidence: return "the confidence level"
        case .targetHalfWidth: return "the target half-width"
        case .histogram: return "the histogram"
        case .generator: return "the generator"
        case .rank: return "the LoRA rank"
        case .problems: return "the number of problems"
        case .samples: return "the samples per problem"
        case .capacity: return "the capacity"
        case .layers: return "the layer count"
        case .hidden: return "the hidden size"
        case .intermediate: return "the intermediate size"
        case .heads: return "the head count"
        case .kvHeads: return "the key/value head count"
        case .headDim: return "the head dimension"
        case .checkpoint: return "the checkpoint file"
        case .outputFolder: return "the output folder"
        case .baseline: return "the baseline file"
        case .history: return "the history file"
        case .advantage: return "the advantage"
        case .advantageBaseline: return "the baseline b"
        case .steps: return "the number of steps"
        case .runs: return "the number of runs"
        case .learner: return "the learner"
        case .learningRate: return "the learning rate"
        case .entropyBonus: return "the entropy bonus"
        }
    }
}

/// An error message that names parameters: written as a string literal
/// with `\(Parameter.vocabulary)` where a parameter goes, rendered with
/// each parameter's words (`description`) or with any other naming, such as
/// the command line's flags (`rendered(naming:)`).
public struct ErrorText: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    enum Piece: Sendable, Equatable {
        case text(String)
        case parameter(Parameter)
    }

    var pieces: [Piece]

    public init(_ text: String) { pieces = [.text(text)] }

    public init(stringLiteral value: String) { pieces = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { pieces.append(.text(literal)) }

        public mutating func appendInterpolation(_ parameter: Parameter) { pieces.append(.parameter(parameter)) }

        public mutating func appendInterpolation<Value>(_ value: Value) { pieces.append(.text(String(describing: value))) }
    }

    /// The two messages one after the other.
    public static func + (first: ErrorText, second: ErrorText) -> ErrorText {
        var joined = first
        joined.pieces += second.pieces
        return joined
    }

    /// The message with each parameter named by `name`.
    public func rendered(naming name: (Parameter) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): return text
            case .parameter(let parameter): return name(parameter)
            }
        }.joined()
    }

    /// The message in the library's words.
    public var description: String { rendered { $0.words } }
}
