import ArgumentParser
import RewardBits

struct EstimateSingle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "single",
        abstract: "One rollout, one binary reward: I(S; T, r) <= 1 bit (exact: h(1/V) for a uniform prior).")

    @OptionGroup var model: SingleModelOptions
    @Option(help: "Number of rollouts N, e.g. 1e8, 100_000_000 or 2^27.")
    var rollouts: String
    @OptionGroup var common: CommonOptions

    func run() throws {
        let channel = try model.channel(rollouts: try Parse.count(rollouts, option: "--rollouts"))
        common.print(try channel.run(settings: try common.settings()))
    }
}

struct EstimateGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "K rollouts per prompt (GRPO/RLOO): E[H(r | T_1..T_K)] <= E[log2(M+1)] <= log2(K+1).")

    @OptionGroup var model: GroupModelOptions
    @Option(help: "Number of prompts N (each draws K rollouts), e.g. 1e7.")
    var prompts: String
    @OptionGroup var common: CommonOptions

    func run() throws {
        let channel = try model.channel(prompts: try Parse.count(prompts, option: "--prompts"))
        common.print(try channel.run(settings: try common.settings()))
    }
}

struct EstimateToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Per-token rewards over T tokens: up to T bits (exact T [h(p (*) eps) - h(eps)]).")

    @OptionGroup var model: TokenModelOptions
    @Option(help: "Number of episodes N, e.g. 1e6.")
    var episodes: String
    @OptionGroup var common: CommonOptions

    func run() throws {
        let channel = try model.channel(episodes: try Parse.count(episodes, option: "--episodes"))
        common.print(try channel.run(settings: try common.settings()))
    }
}

struct EstimateSFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "A positive example: log2(1/alpha) bits from an expert, H(q)/E[L] bits per rollout when filtered.")

    @OptionGroup var model: SFTModelOptions
    @Option(help: "Number of positive examples N, e.g. 1e5.")
    var positives: String
    @OptionGroup var common: CommonOptions

    func run() throws {
        let channel = try model.channel(positives: try Parse.count(positives, option: "--positives"))
        common.print(try channel.run(settings: try common.settings()))
    }
}
