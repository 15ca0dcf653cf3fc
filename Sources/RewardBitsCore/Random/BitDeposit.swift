import Foundation

/// How `BernoulliWords.words4` puts the bits of its packed lanes back at the
/// undecided lanes. The same bits either way; only the speed differs.
public enum BitDeposit: String, Sendable {
    /// One BMI2 `pdep` per word (a loop over the set bits in builds without
    /// BMI2): a few cycles on Intel cores and on AMD since Zen 3.
    case instruction
    /// One AVX2 loop over the set bits of the four words side by side
    /// (`rb_deposit_bits_by_lanes`), for CPUs that run `pdep` in microcode.
    case lanes
}

extension BitDeposit {
    /// `pdep` is microcoded on AMD family 17h (Zen 1, Zen+, Zen 2) and on
    /// Hygon's Zen-based family 18h: on a Zen 2, about 8 ns with one mask
    /// bit and 14 ns with eight, and the token workload spent over a third
    /// of its time in its four `pdep` per 256 tokens. There the kernels
    /// deposit by lanes; every other CPU keeps the instruction.
    /// REWARDBITS_BIT_DEPOSIT=instruction|lanes overrides the choice (to
    /// measure either). The same words either way.
    public static let preferred: BitDeposit = {
        if let name = ProcessInfo.processInfo.environment["REWARDBITS_BIT_DEPOSIT"], let chosen = BitDeposit(rawValue: name) {
            return chosen
        }
        let vendor = CPUInfo.field("vendor_id"), family = CPUInfo.field("cpu family")
        let microcoded = (vendor == "AuthenticAMD" && family == "23") || (vendor == "HygonGenuine" && family == "24")
        return microcoded ? .lanes : .instruction
    }()
}
