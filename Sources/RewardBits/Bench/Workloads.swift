import Foundation

/// A canonical throughput workload: a fixed spec, large enough that start-up
/// does not dominate; each channel lists its own (`Channel.workloads`).
/// `scale` shrinks the sample count for quicker runs (the kernels are the
/// same).
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

    /// Every registered channel's workloads, in registry order.
    public static var canonical: [Workload] { ChannelRegistry.channels.flatMap { $0.workloads } }

    public static func named(_ name: String) -> Workload? { canonical.first { $0.name == name } }
}
