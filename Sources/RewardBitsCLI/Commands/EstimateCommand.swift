import ArgumentParser
import RewardBits

struct EstimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Estimate a channel's information by Monte Carlo, with a confidence interval.",
        subcommands: CommandRegistry.channels.map { $0.estimateCommand }
    )
}

/// An estimate subcommand: builds its channel and runs it. `sweep` and
/// `budget --measure` reuse `channel()` and `result()`.
protocol EstimateSubcommand: ParsableCommand {
    var common: CommonOptions { get }
    /// The model with the sample count of the command line (the cap, with
    /// --target-halfwidth).
    func channel() throws -> any Channel
    func result() throws -> ChannelResult
}

extension EstimateSubcommand {
    func run() throws {
        if let request = try common.shardRequest() {
            try request.run(command: ShardRequest.storedCommand(Array(CommandLine.arguments.dropFirst())),
                            settings: try common.settings()) { settings in
                _ = try channel().run(settings: settings)
            }
        } else {
            common.print(try result())
        }
    }

    func result() throws -> ChannelResult {
        try channel().run(settings: try common.settings())
    }
}

/// `rewardbits estimate CHANNEL`, for every registered channel.
struct EstimateChannel<Options: ChannelOptions>: EstimateSubcommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Options.Model.name, abstract: Options.estimateAbstract)
    }

    @OptionGroup var model: Options
    @OptionGroup var common: CommonOptions

    func channel() throws -> any Channel {
        try model.channel(samples: try common.sampleCount(model.sampleCount, option: Options.sampleCountOption))
    }
}
