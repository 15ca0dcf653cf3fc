import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// Library errors name parameters in the library's words; the command line
/// names the same parameters by their flags.
@Suite("error messages")
struct ErrorTextTests {
    @Test("a library error names its parameters in words, or by any naming the caller gives")
    func naming() throws {
        let error = try #require(throws: RewardBitsError.self) {
            try GroupChannel(vocabularySize: 16, groupSize: 0, prompts: 10)
        }
        #expect(error.description == "the group size K must be at least 1 (got 0)")
        #expect(error.message(naming: { "<\($0.rawValue)>" }) == "<groupSize> must be at least 1 (got 0)")
        let overflow = try #require(throws: RewardBitsError.self) {
            try GroupChannel(vocabularySize: 16, groupSize: 1 << 20, prompts: UInt64.max / 2)
        }
        #expect(overflow.description.hasPrefix("the number of prompts 9223372036854775807 x the group size K 1048576"))
    }

    @Test("the command line names the flags")
    func flags() throws {
        let r = try CLI.run(["estimate", "group", "--vocab", "16", "--group", "0", "--prompts", "10"])
        #expect(r.status == 64)
        #expect(r.stderr == "rewardbits: error: --group must be at least 1 (got 0)\n")
        let file = try CLI.run(["estimate", "single", "--vocab", "16", "--rollouts", "10", "--prior", "file:/nonexistent/w"])
        #expect(file.stderr.hasPrefix("rewardbits: error: --prior file:/nonexistent/w: cannot read the file"))
    }
}
