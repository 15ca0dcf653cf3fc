import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// Adding a channel is its own files plus one line in `ChannelRegistry`
/// (docs/adding-a-channel.md): these checks fail for a registered channel
/// that lacks an estimate, exact, sweep, budget or bench entry, or whose
/// kernels are missing from a compiled copy.
@Suite("channel registry")
struct RegistryTests {
    @Test("every registered channel has estimate, exact, sweep and budget entries", arguments: ChannelRegistry.names)
    func commandLine(name: String) throws {
        let channel = try #require(ChannelRegistry.channel(named: name))
        for command in ["estimate", "exact"] {
            let r = try CLI.run([command, name, "--help"])
            #expect(r.status == 0, "\(command) \(name): \(r.stderr)")
            #expect(r.stdout.contains("--\(channel.sampleName)"), "\(command) \(name) --help lacks --\(channel.sampleName)")
        }
        // sweep knows the channel: a list on an unknown option is refused by
        // the channel's own parser.
        let sweep = try CLI.run(["sweep", name, "--no-such-option", "1,2"])
        #expect(sweep.status == 64)
        #expect(!sweep.stderr.contains("sweep needs a channel"), "sweep does not know \(name): \(sweep.stderr)")
        // budget --measure knows it, and refuses it only when it cannot group
        // a problem's rollouts.
        let budget = try CLI.run(["budget", "--measure", name])
        #expect(budget.status == 64)
        #expect(!budget.stderr.contains("--measure must be one of"), "budget does not know \(name)")
        #expect(budget.stderr.contains("give --bits-per-rollout instead") == !channel.measuresProblems, "\(budget.stderr)")
    }

    /// Each workload runs on every kernel copy this CPU supports, so a copy
    /// without the channel's kernels fails here (and every copy gives the
    /// same numbers).
    @Test("every registered channel has bench workloads that run on every kernel copy", arguments: ChannelRegistry.names)
    func workloads(name: String) throws {
        let channel = try #require(ChannelRegistry.channel(named: name))
        #expect(!channel.workloads.isEmpty, "\(name) has no bench workload")
        for workload in channel.workloads {
            #expect(workload.command.hasPrefix("estimate \(name) "))
            #expect(Workload.named(workload.name)?.command == workload.command)
            var estimates: [Double] = []
            for set in InstructionSet.allCases where set.isSupported {
                var settings = testSettings(seed: 1, threads: 1)
                settings.instructionSet = set
                let result = try workload.run(scale: 1e-5, settings: settings)
                #expect(result.channel == name)
                estimates.append(result.estimate.value)
            }
            #expect(Set(estimates).count == 1, "\(workload.name): the kernel copies disagree: \(estimates)")
        }
    }

    @Test("names are unique and the workloads are listed in registry order")
    func order() {
        #expect(Set(ChannelRegistry.names).count == ChannelRegistry.names.count)
        #expect(Workload.canonical.map(\.name) == ChannelRegistry.channels.flatMap { $0.workloads.map(\.name) })
    }
}
