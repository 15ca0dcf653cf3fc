import Foundation

/// Every run-time choice of how the kernels compute, made once, here: which
/// compiled copy runs, how the token kernels deposit bits and how the group
/// kernels count distinct tokens. Each depends on the CPU (its features and
/// vendor, from /proc/cpuinfo) and can be overridden by an environment
/// variable, so that one machine can measure every alternative. No choice
/// changes a number, only the speed.
///
/// The compile-time choice, which instructions each copy may use, is made in
/// Package.swift: `RewardBitsKernels` is portable, `RewardBitsKernelsAVX2`
/// is built for x86-64-v3 with `REWARDBITS_AVX2` defined, and
/// `RewardBitsKernelsAVX512` for x86-64-v4 with `REWARDBITS_AVX512` (both
/// with `REWARDBITS_WIDE_SIMD`). Code that only one copy runs sits behind
/// those conditions.
///
/// | variable | values | default |
/// |---|---|---|
/// | `REWARDBITS_SIMD` | portable, avx2, avx512 | the widest the CPU supports |
/// | `REWARDBITS_BIT_DEPOSIT` | instruction, lanes | lanes where `pdep` is microcoded |
/// | `REWARDBITS_GROUP_DISTINCT` | conflict, sort, stamps | AVX-512: conflict on AMD, sort elsewhere; AVX2: sort |
public enum KernelChoices {
    static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

    /// The compiled copy asked for by REWARDBITS_SIMD (used when the CPU
    /// supports it).
    public static let requestedInstructionSet: String? = environment("REWARDBITS_SIMD")

    /// The CPU's vendor ("AuthenticAMD", "GenuineIntel", ...), if known.
    public static let vendor: String? = CPUInfo.field("vendor_id")

    /// `pdep` is microcoded on AMD family 17h (Zen 1, Zen+, Zen 2) and on
    /// Hygon's Zen-based family 18h, where its cost grows with the mask's set
    /// bits (the token workload spent over a third of its time in it on a
    /// Zen 2): there the kernels deposit by lanes; every other CPU keeps the
    /// instruction.
    public static let bitDeposit: BitDeposit = {
        if let name = environment("REWARDBITS_BIT_DEPOSIT"), let chosen = BitDeposit(rawValue: name) {
            return chosen
        }
        let family = CPUInfo.field("cpu family")
        let microcoded = (vendor == "AuthenticAMD" && family == "23") || (vendor == "HygonGenuine" && family == "24")
        return microcoded ? .lanes : .instruction
    }()

    /// How the group kernels count a prompt's distinct tokens, where the
    /// compiled copy has more than one way (all give the same counts).
    public enum GroupDistinct: String, Sendable {
        /// AVX-512 conflict detection (K <= 64): fast on AMD, microcoded on
        /// Intel Xeons.
        case conflict
        /// Sorting networks: in registers (AVX-512, K <= 32) or one prompt
        /// per 16-bit lane, sixteen at once (AVX2, K <= 32).
        case sort
        /// A stamp per symbol: the number of the prompt that last saw it
        /// (any K, V <= 2^16).
        case stamps
    }

    /// REWARDBITS_GROUP_DISTINCT when set, else conflict detection on AMD
    /// (the CPUs with AVX-512 there are Zen 4 and 5, where it beat the
    /// network) and sorting elsewhere. A copy without the chosen way uses
    /// its own default.
    public static let groupDistinct: GroupDistinct = {
        if let name = environment("REWARDBITS_GROUP_DISTINCT"), let chosen = GroupDistinct(rawValue: name) {
            return chosen
        }
        return vendor == "AuthenticAMD" ? .conflict : .sort
    }()
}
