import ArgumentParser
import RewardBits

/// An estimate subcommand: builds its channel and runs it. `sweep` reuses
/// `result()` for each value of the swept option.
protocol EstimateSubcommand: ParsableCommand {
    var common: CommonOptions { get }
    func result() throws -> ChannelResult
}

extension EstimateSubcommand {
    func run() throws {
        common.print(try result())
    }
}

struct EstimateSingle: EstimateSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "single",
        abstract: "One rollout, one binary reward: I(S; T, r) <= 1 bit (exact: h(1/V) for a uniform prior).")

    @OptionGroup var model: SingleModelOptions
    @Option(help: "Number of rollouts N, e.g. 1e8, 100_000_000 or 2^27.")
    var rollouts: String?
    @OptionGroup var common: CommonOptions

    func result() throws -> ChannelResult {
        let channel = try model.channel(rollouts: try common.sampleCount(rollouts, option: "--rollouts"))
        return try channel.run(settings: try common.settings())
    }
}

struct EstimateGroup: EstimateSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "K rollouts per prompt (GRPO/RLOO): E[H(r | T_1..T_K)] <= E[log2(M+1)] <= log2(K+1).")

    @OptionGroup var model: GroupModelOptions
    @Option(help: "Number of prompts N (each draws K rollouts), e.g. 1e7.")
    var prompts: String?
    @OptionGroup var common: CommonOptions

    func result() throws -> ChannelResult {
        let channel = try model.channel(prompts: try common.sampleCount(prompts, option: "--prompts"))
        return try channel.run(settings: try common.settings())
    }
}

struct EstimateToken: EstimateSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Per-token, checkpoint, sum or graded rewards over T tokens (per-token: up to T bits).")

    @OptionGroup var model: TokenModelOptions
    @Option(help: "Number of episodes N, e.g. 1e6.")
    var episodes: String?
    @OptionGroup var common: CommonOptions

    func result() throws -> ChannelResult {
        let channel = try model.channel(episodes: try common.sampleCount(episodes, option: "--episodes"))
        return try channel.run(settings: try common.settings())
    }
}

struct EstimateSFT: EstimateSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "A positive example: log2(1/alpha) bits from an expert, H(q)/E[L] bits per rollout when filtered.")

    @OptionGroup var model: SFTModelOptions
    @Option(help: "Number of positive examples N, e.g. 1e5.")
    var positives: String?
    @OptionGroup var common: CommonOptions

    func result() throws -> ChannelResult {
        let channel = try model.channel(positives: try common.sampleCount(positives, option: "--positives"))
        return try channel.run(settings: try common.settings())
    }
}
