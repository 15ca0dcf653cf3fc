import ArgumentParser
import Foundation
import RewardBits

struct ExactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exact",
        abstract: "Print a channel's exact information (where known) and its bounds, without sampling.",
        subcommands: CommandRegistry.channels.map { $0.exactCommand }
    )
}

/// `rewardbits exact CHANNEL`, for every registered channel: the model's
/// options as `estimate` takes them (the sample count is accepted and
/// ignored, so an estimate command line can be reused).
struct ExactChannel<Options: ChannelOptions>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Options.Model.name, abstract: Options.exactAbstract)
    }

    @OptionGroup var model: Options
    @OptionGroup var output: ExactOutputOptions

    func run() throws {
        let channel = try model.channel(samples: 2).precomputingExact()
        // The model alone: no sampling fields.
        let sampling = [Options.Model.sampleName, "estimator", "block_size", "stream_format"]
        let report = ExactReport(
            channel: Options.Model.name,
            parameters: channel.parameters(blockSize: 1).filter { !sampling.contains($0.0) },
            exact: channel.exactInformation(), bounds: channel.bounds, extras: channel.exactExtras)
        guard !(output.json && output.csv) else { throw RewardBitsError.invalidInput("choose one of --json and --csv") }
        report.print(json: output.json, csv: output.csv)
    }
}

/// Output options of `exact`.
struct ExactOutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Print a CSV header and one row: exact, one column per parameter, the bounds.")
    var csv = false
}

/// What `exact` prints: the exact value (or null) and the bounds.
struct ExactReport {
    var channel: String
    var parameters: [(String, JSONValue)]
    var exact: Double?
    var bounds: [(String, Double)]
    var extras: [(String, Double)] = []

    func print(json: Bool, csv: Bool = false) {
        if json {
            var members: [(String, JSONValue)] = [
                ("channel", .string(channel)), ("params", .object(parameters)), ("exact", .optional(exact)),
                ("bounds", .object(bounds.map { ($0.0, .number($0.1)) })),
            ]
            if !extras.isEmpty { members.append(("bound_exacts", .object(extras.map { ($0.0, .number($0.1)) }))) }
            members.append(("version", RewardBitsVersion.json))
            Swift.print(JSONValue.object(members).serialized())
        } else if csv {
            var columns: [(String, String)] = [("channel", channel), ("exact", exact.map { "\($0)" } ?? "")]
            columns += parameters.map { ($0.0, $0.1.csvText) }
            columns += bounds.map { ("bound_\($0.0)", "\($0.1)") } + extras.map { ("bound_exact_\($0.0)", "\($0.1)") }
            columns.append(("version", RewardBitsVersion.tool))
            Swift.print(CSV.table([columns]))
        } else {
            Swift.print(exact.map { String(format: "%.12g", $0) } ?? "null (no exact value is known for this spec)")
            for (name, value) in bounds + extras { Swift.print(String(format: "  %@ = %.12g", name, value)) }
        }
    }
}
