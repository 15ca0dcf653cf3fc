/// A channel: what a learner observes about the hidden correct answer S
/// (one reward, a group of rollouts, per-token rewards, a positive example),
/// with its exact information where known, its bounds and its sampler.
///
/// A channel value is a complete model plus a sample count; `run(settings:)`
/// estimates I(S; observation) by Monte Carlo. Every channel is listed once
/// in `ChannelRegistry.channels`, from which the command line builds its
/// `estimate`, `exact`, `sweep` and `budget --measure` entries and the
/// benchmarks their workloads (see docs/adding-a-channel.md).
public protocol Channel: Sendable {
    /// The channel's name on the command line and in JSON (`single`).
    static var name: String { get }

    /// What one sample is, plural (`rollouts`, `prompts`): the name of the
    /// sample-count option and of its JSON parameter.
    static var sampleName: String { get }

    /// The canonical throughput workloads of this channel (`rewardbits
    /// bench`, package-benchmark), in the order the bench tables list them.
    static var workloads: [Workload] { get }

    /// The number of samples a run draws (the cap, with a stop rule).
    var sampleCount: UInt64 { get }

    /// The exact information in bits, or nil where none is known for this
    /// model. May cost O(V) or more: `precomputingExact()` keeps it.
    func exactInformation() -> Double?

    /// Named upper bounds of the information (`one_bit`, `log2_K_plus_1`).
    var bounds: [(String, Double)] { get }

    /// Other exact quantities `exact` prints beside the bounds.
    var exactExtras: [(String, Double)] { get }

    /// The model's parameters as they appear in JSON `params`, with the
    /// block size the run uses (part of the random streams).
    func parameters(blockSize: UInt64) -> [(String, JSONValue)]

    /// This channel with its exact value computed once, for many runs of
    /// the same model (coverage studies, sweeps over seeds).
    func precomputingExact() -> Self

    /// Estimates the information by Monte Carlo.
    func run(settings: RunSettings) throws -> ChannelResult

    /// The channel that measures the `samplesPerProblem` rollouts of one
    /// problem together (`budget --measure`): a group of K =
    /// `samplesPerProblem` with this channel's prior, policy and noise, and
    /// this channel's sample count as the number of problems; nil where the
    /// channel has no such group.
    func problemChannel(samplesPerProblem: Int) throws -> (any Channel)?

    /// Whether `problemChannel` gives one (for every valid model).
    static var measuresProblems: Bool { get }
}

extension Channel {
    public var exactExtras: [(String, Double)] { [] }
    public func problemChannel(samplesPerProblem: Int) throws -> (any Channel)? { nil }
    public static var measuresProblems: Bool { false }
}

/// Every channel the engine knows, in the order commands and tables list
/// them. Adding a channel adds one line here.
public enum ChannelRegistry {
    public static let channels: [any Channel.Type] = [
        SingleChannel.self,
        GroupChannel.self,
        TokenChannel.self,
        SFTChannel.self,
        GradientChannel.self,
        LearnerChannel.self,
    ]

    /// The registered channel called `name`.
    public static func channel(named name: String) -> (any Channel.Type)? {
        channels.first { $0.name == name }
    }

    /// The registered names, for messages ("single, group, token or sft").
    public static var names: [String] { channels.map { $0.name } }
}
