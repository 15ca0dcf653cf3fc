/// How `BernoulliWords.words4` puts the bits of its packed lanes back at the
/// undecided lanes. The same bits either way; only the speed differs.
public enum BitDeposit: String, Sendable {
    /// One BMI2 `pdep` per word (a loop over the set bits in builds without
    /// BMI2): a few cycles on Intel cores and on AMD since Zen 3.
    case instruction
    /// One AVX2 loop over the set bits of the four words side by side
    /// (`bitops_deposit_bits_by_lanes`), for CPUs that run `pdep` in microcode.
    case lanes
}

extension BitDeposit {
    /// The choice for this CPU (see `KernelChoices.bitDeposit`).
    public static var preferred: BitDeposit { KernelChoices.bitDeposit }
}
