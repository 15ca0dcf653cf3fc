import Foundation
import RewardBitsCore
import RewardBitsKernels
import RewardBitsKernelsAVX2
import RewardBitsKernelsAVX512

@_exported import RewardBitsCore

/// Which compiled copy of the kernels a run uses. All copies read the same
/// streams the same way and give bitwise-identical statistics; they differ
/// only in speed.
public enum InstructionSet: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Baseline x86-64 (SSE2) or whatever the target architecture guarantees.
    case portable
    /// x86-64-v3: AVX2, BMI1/2, FMA, LZCNT, MOVBE.
    case avx2
    /// x86-64-v4: AVX-512 F, BW, CD, DQ, VL.
    case avx512

    public var description: String { rawValue }

    public var kernels: any KernelFactory.Type {
        switch self {
        case .portable: return RewardBitsKernels.KernelSet.self
        case .avx2: return RewardBitsKernelsAVX2.KernelSet.self
        case .avx512: return RewardBitsKernelsAVX512.KernelSet.self
        }
    }

    /// One channel's kernels in this copy, e.g.
    /// `kernels(as: (any SingleKernelFactory.Type).self)`. Every copy's
    /// `KernelSet` conforms to every channel's factory (a test checks it), so
    /// the cast cannot fail for a channel whose kernel file declares it.
    public func kernels<Factory>(as factory: Factory.Type) -> Factory {
        guard let kernels = kernels as? Factory else {
            preconditionFailure("the \(self) kernels do not conform to \(Factory.self)")
        }
        return kernels
    }

    /// The CPU's feature flags (Linux: /proc/cpuinfo).
    static let cpuFlags: Set<String> = Set((CPUInfo.field("flags") ?? "").split(separator: " ").map(String.init))

    /// True when this copy was compiled for the machine's architecture and
    /// the CPU (and OS) support its instructions.
    public var isSupported: Bool {
        #if arch(x86_64)
        let flags = Self.cpuFlags
        let v3: Set<String> = ["avx", "avx2", "bmi1", "bmi2", "fma", "f16c", "movbe", "xsave", "popcnt", "sse4_2"]
        let v4: Set<String> = ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
        switch self {
        case .portable: return true
        case .avx2: return v3.isSubset(of: flags) && (flags.contains("abm") || flags.contains("lzcnt"))
        case .avx512: return InstructionSet.avx2.isSupported && v4.isSubset(of: flags)
        }
        #else
        return self == .portable
        #endif
    }

    /// The widest supported copy.
    public static let best: InstructionSet = [.avx512, .avx2].first { $0.isSupported } ?? .portable

    /// The copy runs use: REWARDBITS_SIMD=portable|avx2|avx512 when set (and
    /// supported), otherwise the widest supported.
    public static let active: InstructionSet = {
        if let name = KernelChoices.requestedInstructionSet, let chosen = InstructionSet(rawValue: name),
           chosen.isSupported {
            return chosen
        }
        return best
    }()
}
