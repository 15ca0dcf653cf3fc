import Foundation

/// The canonical throughput workloads (issue 5): fixed specs, large enough
/// that start-up does not dominate. `scale` shrinks the sample count for
/// quicker runs (the kernels are the same).
public struct Workload: Sendable {
    public let name: String
    /// The command line that runs it at scale 1.
    public let command: String
    public let unit: String
    /// The hand-tuned C + OpenMP figure per core on this machine kind (AVX-512
    /// build), from the issue; nil where none was given.
    public let cReferencePerCore: Double?
    /// Plain numpy on one core, from the issue.
    public let numpyPerCore: Double?
    let make: @Sendable (Double) throws -> (RunSettings) throws -> ChannelResult

    public func run(scale: Double, settings: RunSettings) throws -> ChannelResult {
        try make(scale)(settings)
    }

    static func scaled(_ n: Double, _ scale: Double) -> UInt64 { UInt64(max(2, (n * scale).rounded())) }

    public static let canonical: [Workload] = [
        Workload(name: "single", command: "estimate single --vocab 1024 --rollouts 1e9 --estimator pointwise",
                 unit: "rollouts", cReferencePerCore: 1.45e9, numpyPerCore: 1.1e8) { scale in
            let channel = try SingleChannel(vocabularySize: 1024, estimator: .pointwise, rollouts: scaled(1e9, scale))
            return { try channel.run(settings: $0) }
        },
        Workload(name: "group", command: "estimate group --vocab 1024 --group 32 --prompts 1e8",
                 unit: "rollouts", cReferencePerCore: 1.75e9, numpyPerCore: 2.6e8) { scale in
            let channel = try GroupChannel(vocabularySize: 1024, groupSize: 32, prompts: scaled(1e8, scale))
            return { try channel.run(settings: $0) }
        },
        Workload(name: "group-zipf",
                 command: "estimate group --vocab 65536 --group 32 --prompts 1e8 --prior zipf:1.1 --policy zipf:1.1",
                 unit: "rollouts", cReferencePerCore: nil, numpyPerCore: nil) { scale in
            let channel = try GroupChannel(vocabularySize: 65536, groupSize: 32, prompts: scaled(1e8, scale),
                                           prior: .zipf(1.1), policy: .zipf(1.1))
            return { try channel.run(settings: $0) }
        },
        Workload(name: "token", command: "estimate token --length 256 --noise 0.1 --episodes 1e8",
                 unit: "token rewards", cReferencePerCore: 5.0e9, numpyPerCore: 1.4e8) { scale in
            let channel = try TokenChannel(length: 256, episodes: scaled(1e8, scale), noise: 0.1)
            return { try channel.run(settings: $0) }
        },
        Workload(name: "sft", command: "estimate sft --mode filtered --vocab 1024 --positives 1e7",
                 unit: "rollouts", cReferencePerCore: 2.4e9, numpyPerCore: 3.7e8) { scale in
            let channel = try SFTChannel(vocabularySize: 1024, positives: scaled(1e7, scale), mode: .filtered)
            return { try channel.run(settings: $0) }
        },
    ]

    public static func named(_ name: String) -> Workload? { canonical.first { $0.name == name } }
}
