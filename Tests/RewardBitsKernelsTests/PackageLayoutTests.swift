import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

@Suite("package layout")
struct PackageLayoutTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

    /// The AVX2 and AVX-512 kernel modules are symbolic links to the
    /// portable kernel folder, so a kernel file added there is in all three
    /// copies.
    @Test("both wide kernel copies are the portable folder")
    func kernelLinks() throws {
        let manager = FileManager.default
        for variant in ["RewardBitsKernelsAVX2", "RewardBitsKernelsAVX512"] {
            let path = Self.sources.appendingPathComponent(variant).path
            #expect(try manager.destinationOfSymbolicLink(atPath: path) == "RewardBitsKernels")
        }
    }

    @Test("the selected kernel copy is supported and reports its instruction set")
    func instructionSet() {
        #expect(InstructionSet.active.isSupported)
        for set in InstructionSet.allCases {
            let reported = set.kernels.instructionSet
            #if arch(x86_64)
            #expect(reported == set.rawValue)
            #else
            #expect(reported == "portable")
            #endif
        }
    }
}
