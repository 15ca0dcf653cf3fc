import ArgumentParser
import RewardBits

struct RewardBitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewardbits",
        abstract: "How many bits of information about the correct answer does RL feedback carry?",
        discussion: """
        Monte-Carlo estimates, with confidence intervals and exact values beside them, of the \
        mutual information I(S; observation) between the hidden correct answer S and what a \
        learner sees: one binary reward (single), a group of K rollouts (group), per-token \
        rewards (token) or a positive SFT example (sft).

        Examples:
          rewardbits estimate group --vocab 1024 --group 32 --prompts 1e7
          rewardbits estimate single --vocab 2^20 --rollouts 1e8 --json
          rewardbits exact token --length 256 --target-bias 0.3 --noise 0.1
        """,
        version: RewardBitsVersion.tool,
        subcommands: [EstimateCommand.self, ExactCommand.self, SweepCommand.self, MergeCommand.self, ReproduceCommand.self, BudgetCommand.self, BenchCommand.self, ValidateCommand.self, RNGCommand.self]
    )
}
