import ArgumentParser
import Foundation
import RewardBits

/// `rewardbits sweep CHANNEL ...`: the channel's estimate options, one of
/// them given as a comma-separated list; one estimate per value.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Estimate one channel over a list of values of one parameter.",
        discussion: """
        Takes the options of `rewardbits estimate CHANNEL`, with exactly one of them given as a \
        comma-separated list. Every row uses the same seed. Prints a table, or with --csv one CSV \
        row per value, or with --json an object with one result per value.

        Examples:
          rewardbits sweep group --vocab 1024 --group 1,2,4,8,16,32,64 --prompts 1e6
          rewardbits sweep single --vocab 2,16,256,4096,65536 --rollouts 1e7 --csv
          rewardbits sweep token --length 64 --episodes 1e5 --noise 0,0.01,0.1,0.25 \\
              --json
        """)

    @Argument(help: ArgumentHelp("The channel.", valueName: CommandRegistry.namesAsValue))
    var channel: String

    @Argument(parsing: .allUnrecognized, help: "The channel's estimate options, one with a comma-separated list of values.")
    var options: [String] = []

    func run() throws {
        try run(replaying: nil)
    }

    /// Runs every value (as a shard with --shard, replaying a merge's
    /// blocks with `replaying`) and prints the table, CSV or JSON.
    func run(replaying: PartialRun?, adjust: (inout ChannelResult) -> Void = { _ in }) throws {
        let (parameter, values, commands, json, csv) = try points()
        if replaying == nil, let request = try commands[0].common.shardRequest() {
            // Every value's blocks are split the same way: shard I of N holds
            // part I of each value's blocks.
            try request.run(command: ShardRequest.storedCommand(Array(CommandLine.arguments.dropFirst())),
                            settings: try commands[0].common.settings()) { shardSettings in
                for command in commands {
                    var settings = try command.common.settings()
                    settings.partialRun = shardSettings.partialRun
                    do {
                        _ = try command.channel().run(settings: settings)
                    } catch is ShardComputed {}
                }
            }
            return
        }
        var rows: [(String, ChannelResult)] = []
        for (value, command) in zip(values, commands) {
            var settings = try command.common.settings()
            settings.partialRun = replaying
            var result = try command.channel().run(settings: settings)
            adjust(&result)
            rows.append((value, result))
        }
        if json {
            let object = JSONValue.object([
                ("sweep", .string(parameter)),
                ("channel", .string(channel)),
                ("values", .array(values.map { .string($0) })),
                ("rows", .array(rows.map { $0.1.json })),
                ("version", RewardBitsVersion.json),
            ])
            print(object.serialized())
        } else if csv {
            // The swept column under its parameter's name, with the value as
            // the run read it (1e5 becomes 100000).
            let key = parameter.replacingOccurrences(of: "-", with: "_")
            print(CSV.table(rows.map { value, result in
                let canonical = result.parameters.first { $0.0 == key }
                return [(canonical?.0 ?? parameter, canonical?.1.csvText ?? value)] + result.csvColumns.filter { $0.0 != key }
            }))
        } else {
            print(Self.table(parameter: parameter, rows: rows))
        }
    }

    /// The swept parameter, its values and each value's parsed estimate command.
    private func points() throws -> (String, [String], [any EstimateSubcommand], json: Bool, csv: Bool) {
        guard let registered = CommandRegistry.channel(named: channel) else {
            throw RewardBitsError.invalidInput("sweep needs a channel: \(CommandRegistry.namesInWords) (got '\(channel)')")
        }
        let command = registered.estimateCommand
        // Normalise --name=value into two words, then find the list.
        var words: [String] = []
        for word in options {
            if word.hasPrefix("--"), let equals = word.firstIndex(of: "=") {
                words.append(String(word[..<equals]))
                words.append(String(word[word.index(after: equals)...]))
            } else {
                words.append(word)
            }
        }
        let listed = words.indices.filter { i in
            i > 0 && words[i - 1].hasPrefix("--") && words[i].contains(",")
        }
        guard listed.count == 1, let position = listed.first else {
            throw RewardBitsError.invalidInput(listed.isEmpty
                ? "sweep needs one option with a comma-separated list of values, e.g. --group 1,2,4,8"
                : "sweep varies one option at a time; \(listed.map { words[$0 - 1] }.joined(separator: " and ")) both have lists")
        }
        let name = words[position - 1]
        let values = words[position].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard values.allSatisfy({ !$0.isEmpty }) else {
            throw RewardBitsError.invalidInput("\(name) '\(words[position])' has an empty value in its list")
        }
        var commands: [any EstimateSubcommand] = []
        for value in values {
            var arguments = words
            arguments[position] = value
            do {
                commands.append(try command.parse(arguments))
            } catch {
                let message = RewardBitsCommand.message(for: error)
                if let better = CommandLineHints.betterMessage(for: message, arguments: ["sweep", channel]) {
                    throw RewardBitsError.invalidInput(ErrorText(stringLiteral: better))
                }
                throw RewardBitsError.invalidInput(
                    "\(name) \(value): \(message.split(whereSeparator: \.isNewline).first ?? "")")
            }
        }
        func format(_ form: String) -> Bool {
            words.contains("--\(form)") || zip(words, words.dropFirst()).contains { $0 == "--format" && $1 == form }
        }
        return (String(name.dropFirst(2)), values, commands, format("json"), format("csv"))
    }

    static func table(parameter: String, rows: [(String, ChannelResult)]) -> String {
        var boundNames: [String] = []
        for (_, r) in rows { for (name, _) in r.bounds where !boundNames.contains(name) { boundNames.append(name) } }
        let header = [parameter, "estimate", "ci_low", "ci_high", "exact", "z"] + boundNames
        var lines = [header]
        for (value, r) in rows {
            let e = r.estimate
            var cells = [value, String(format: "%.8g", e.value), String(format: "%.8g", e.low), String(format: "%.8g", e.high),
                         r.exact.map { String(format: "%.8g", $0) } ?? "-",
                         e.z(against: r.exact).map { String(format: "%+.2f", $0) } ?? "-"]
            for name in boundNames {
                cells.append(r.bounds.first { $0.0 == name }.map { String(format: "%.6g", $0.1) } ?? "-")
            }
            lines.append(cells)
        }
        let widths = (0..<header.count).map { column in lines.map { $0[column].count }.max()! }
        return lines.map { row in
            row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
