import ArgumentParser
import RewardBits

/// The command-line face of a channel: its model options, the sample-count
/// option among them (`--rollouts`, named after `Channel.sampleName`) and
/// the one-line help of its `estimate` and `exact` commands. `estimate`,
/// `exact`, `sweep` and `budget --measure` are built from these.
protocol ChannelOptions: ParsableArguments {
    associatedtype Model: Channel

    static var estimateAbstract: String { get }
    static var exactAbstract: String { get }

    /// The option that sets how many rollouts one prompt draws (`--group`),
    /// which `budget --measure` sets to --samples; nil where the model has
    /// none.
    static var problemSizeOption: String? { get }

    /// The sample-count option (nil: not given).
    var sampleCount: Count? { get }

    /// The model with `samples` samples.
    func channel(samples: UInt64) throws -> Model
}

extension ChannelOptions {
    static var problemSizeOption: String? { nil }
    /// `--rollouts`, `--prompts`, ...
    static var sampleCountOption: String { "--" + Model.sampleName }
}

/// A registered channel the command line can run: conformed to next to the
/// channel's options (`SingleOptions.swift`).
protocol CommandLineChannel: Channel {
    associatedtype Options: ChannelOptions where Options.Model == Self
}

extension CommandLineChannel {
    static var estimateCommand: any EstimateSubcommand.Type { EstimateChannel<Options>.self }
    static var exactCommand: any ParsableCommand.Type { ExactChannel<Options>.self }
    static var problemSizeOption: String? { Options.problemSizeOption }
}

/// The registry as the command line sees it.
enum CommandRegistry {
    /// Every registered channel with its command-line face (all of them: a
    /// test fails for one without).
    static var channels: [any CommandLineChannel.Type] {
        ChannelRegistry.channels.compactMap { $0 as? any CommandLineChannel.Type }
    }

    static func channel(named name: String) -> (any CommandLineChannel.Type)? {
        channels.first { $0.name == name }
    }

    /// "single, group, token or sft".
    static var namesInWords: String {
        let names = channels.map { $0.name }
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// "single|group|token|sft".
    static var namesAsValue: String { channels.map { $0.name }.joined(separator: "|") }
}
