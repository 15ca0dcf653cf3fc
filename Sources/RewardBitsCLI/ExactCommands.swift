import ArgumentParser
import Foundation
import RewardBits

/// What `exact` prints: the exact value (or null) and the bounds.
struct ExactReport {
    var channel: String
    var parameters: [(String, JSONValue)]
    var exact: Double?
    var bounds: [(String, Double)]
    var extras: [(String, Double)] = []

    func print(json: Bool) {
        if json {
            var members: [(String, JSONValue)] = [
                ("channel", .string(channel)), ("params", .object(parameters)), ("exact", .optional(exact)),
                ("bounds", .object(bounds.map { ($0.0, .number($0.1)) })),
            ]
            if !extras.isEmpty { members.append(("bound_exacts", .object(extras.map { ($0.0, .number($0.1)) }))) }
            Swift.print(JSONValue.object(members).serialized())
        } else {
            Swift.print(exact.map { String(format: "%.12g", $0) } ?? "null (no exact value is known for this spec)")
            for (name, value) in bounds + extras { Swift.print(String(format: "  %@ = %.12g", name, value)) }
        }
    }
}

/// Parameters without the sampling-only fields.
private func modelParameters(_ p: [(String, JSONValue)], dropping: [String]) -> [(String, JSONValue)] {
    p.filter { !dropping.contains($0.0) && $0.0 != "block_size" && $0.0 != "stream_format" }
}

struct ExactSingle: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "single", abstract: "Exact I(S; T, r) for one rollout.")
    @OptionGroup var model: SingleModelOptions
    @Option(help: "Ignored (accepted so an estimate command line can be reused).") var rollouts: String?
    @OptionGroup var output: ExactOutputOptions

    func run() throws {
        let c = try model.channel(rollouts: 2)
        ExactReport(channel: "single", parameters: modelParameters(c.parameters(blockSize: 1), dropping: ["rollouts", "estimator"]),
                    exact: c.exactValue(), bounds: c.bounds).print(json: output.json)
    }
}

struct ExactGroup: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "group", abstract: "Exact E[I] for K rollouts per prompt (uniform, or small V).")
    @OptionGroup var model: GroupModelOptions
    @Option(help: "Ignored (accepted so an estimate command line can be reused).") var prompts: String?
    @OptionGroup var output: ExactOutputOptions

    func run() throws {
        let c = try model.channel(prompts: 2)
        let values = c.exactValues()
        ExactReport(channel: "group", parameters: modelParameters(c.parameters(blockSize: 1), dropping: ["prompts", "estimator"]),
                    exact: values.information, bounds: c.bounds,
                    extras: values.meanLog2DistinctPlus1.map { [("mean_log2_M_plus_1", $0)] } ?? []).print(json: output.json)
    }
}

struct ExactToken: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Exact information of per-token rewards.")
    @OptionGroup var model: TokenModelOptions
    @Option(help: "Ignored (accepted so an estimate command line can be reused).") var episodes: String?
    @OptionGroup var output: ExactOutputOptions

    func run() throws {
        let c = try model.channel(episodes: 2)
        ExactReport(channel: "token", parameters: modelParameters(c.parameters(blockSize: 1), dropping: ["episodes", "estimator"]),
                    exact: c.exactValue(), bounds: c.bounds).print(json: output.json)
    }
}

struct ExactSFT: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sft", abstract: "Exact information of a positive example.")
    @OptionGroup var model: SFTModelOptions
    @Option(help: "Ignored (accepted so an estimate command line can be reused).") var positives: String?
    @OptionGroup var output: ExactOutputOptions

    func run() throws {
        let c = try model.channel(positives: 2)
        ExactReport(channel: "sft", parameters: modelParameters(c.parameters(blockSize: 1), dropping: ["positives", "estimator"]),
                    exact: c.exactValue(), bounds: c.bounds).print(json: output.json)
    }
}
