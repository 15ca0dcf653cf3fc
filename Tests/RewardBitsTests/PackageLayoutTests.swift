import Foundation
import Testing
import RewardBits

@Suite("package layout")
struct PackageLayoutTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

    /// The AVX2 and AVX-512 kernel modules are symbolic links to the
    /// portable kernel sources (scripts/link-kernels): a file added to one
    /// and not the others would make the copies diverge.
    @Test("every kernel source is linked into both wide copies")
    func kernelLinks() throws {
        let manager = FileManager.default
        let portable = try manager.contentsOfDirectory(atPath: Self.sources.appendingPathComponent("RewardBitsKernels").path)
            .filter { $0.hasSuffix(".swift") }.sorted()
        #expect(!portable.isEmpty)
        for variant in ["RewardBitsKernelsAVX2", "RewardBitsKernelsAVX512"] {
            let directory = Self.sources.appendingPathComponent(variant)
            let linked = try manager.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }.sorted()
            #expect(linked == portable, "\(variant): run scripts/link-kernels")
            for file in linked {
                let destination = try manager.destinationOfSymbolicLink(atPath: directory.appendingPathComponent(file).path)
                #expect(destination == "../RewardBitsKernels/\(file)")
            }
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
