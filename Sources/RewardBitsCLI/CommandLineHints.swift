import Foundation
import RewardBits

/// What a new user types wrong most often, caught before (or after) argument
/// parsing so that the error names the mistake rather than a symptom
/// ("Unknown option '--vocab'" for a misspelt channel).
enum CommandLineHints {
    static var commands: [String] {
        RewardBitsCommand.configuration.subcommands.map { $0.configuration.commandName ?? "" } + ["help"]
    }

    /// "--prompts -5" reads as two options to the parser; "--prompts=-5"
    /// reaches the value's own check ("is negative").
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word.hasPrefix("--"), !word.contains("="), index + 1 < arguments.count,
               let next = arguments[index + 1].first, next == "-",
               arguments[index + 1].dropFirst().first.map({ $0.isNumber || $0 == "." }) == true {
                result.append("\(word)=\(arguments[index + 1])")
                index += 2
                continue
            }
            result.append(word)
            index += 1
        }
        return result
    }

    /// An unknown command or channel, said before parsing.
    static func check(_ arguments: [String]) throws {
        guard let first = arguments.first, !first.hasPrefix("-") else { return }
        let channels = CommandRegistry.channels.map { $0.name }
        guard commands.contains(first) else {
            if channels.contains(first) {
                throw RewardBitsError.invalidInput(
                    "unknown command '\(first)': a channel runs under a command, e.g. rewardbits estimate \(first) ... or rewardbits exact \(first) ...")
            }
            throw RewardBitsError.invalidInput(
                "unknown command '\(first)'\(suggestion(first, among: commands)): choose \(commands.dropLast().joined(separator: ", ")) (rewardbits --help)")
        }
        if ["estimate", "exact", "sweep"].contains(first), arguments.count > 1 {
            let second = arguments[1]
            if !second.hasPrefix("-"), !channels.contains(second), second != "help" {
                throw RewardBitsError.invalidInput(
                    "unknown channel '\(second)'\(suggestion(second, among: channels)): choose \(CommandRegistry.namesInWords)")
            }
        }
    }

    /// A parser's "Unknown option '--rollouts'" when the channel counts its
    /// samples under another name.
    static func betterMessage(for message: String, arguments: [String]) -> String? {
        guard arguments.count > 1, ["estimate", "exact", "sweep"].contains(arguments[0]),
              let channel = CommandRegistry.channel(named: arguments[1]),
              let range = message.range(of: #"Unknown option '--[a-z-]+'"#, options: .regularExpression) else { return nil }
        let option = String(message[range].dropFirst("Unknown option '--".count).dropLast())
        let sampleNames = Set(CommandRegistry.channels.map { $0.sampleName })
        guard sampleNames.contains(option), option != channel.sampleName else { return nil }
        return "\(arguments[0]) \(channel.name) counts its samples as \(channel.sampleName): write --\(channel.sampleName) N, not --\(option)"
    }

    /// " (did you mean group?)" for a name within two edits of one of `names`.
    static func suggestion(_ word: String, among names: [String]) -> String {
        let close = names.map { ($0, distance(word, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }
        return close.map { " (did you mean \($0.0)?)" } ?? ""
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
