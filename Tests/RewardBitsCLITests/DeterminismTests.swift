import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// The same spec and seed give bitwise-identical JSON numbers (timing fields
/// aside) for any thread count, with and without sequential stopping, and
/// after a kill and a resume; another seed gives other numbers.
@Suite("determinism")
struct DeterminismTests {
    /// One spec per channel and estimator family, each with a target
    /// half-width that stops it early (checked below).
    static let specs: [(run: [String], halfWidth: String)] = [
        (["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "2e5"], "5e-5"),
        (["estimate", "group", "--vocab", "64", "--group", "8", "--prompts", "1e6", "--noise", "0.1",
          "--estimator", "pointwise"], "0.01"),
        (["estimate", "single", "--vocab", "4096", "--rollouts", "3e6", "--prior", "zipf:1.1", "--policy", "zipf:1.1"],
         "1.2e-3"),
        (["estimate", "single", "--vocab", "1024", "--rollouts", "1e6", "--rng", "gsl:mt19937", "--block-size", "10000"],
         "0.002"),
        (["estimate", "token", "--length", "100", "--episodes", "1e5", "--target-bias", "0.3", "--noise", "0.1"], "0.1"),
        (["estimate", "token", "--length", "64", "--episodes", "1e5", "--reward", "checkpoint:8", "--noise", "0.05"],
         "0.02"),
        (["estimate", "sft", "--vocab", "64", "--positives", "1e5", "--prior", "zipf:1", "--policy", "zipf:0.5"], "0.002"),
        (["estimate", "gradient", "--vocab", "64", "--group", "6", "--advantage", "grpo", "--noise", "0.1", "--prompts", "2e4",
          "--prior", "zipf:1"], "0.01"),
        (["estimate", "learner", "--vocab", "256", "--group", "4", "--steps", "6", "--learner", "reinforce", "--advantage",
          "reinforce", "--baseline", "0.5", "--noise", "0.05", "--runs", "2e4"], "0.05"),
    ]

    @Test("bitwise identical for --threads 1, 2, 3 and 8, with and without --target-halfwidth",
          arguments: specs.indices)
    func threadCounts(index: Int) throws {
        let spec = Self.specs[index]
        for stopping in [false, true] {
            let arguments = spec.run + ["--json", "--seed", "77"]
                + (stopping ? ["--target-halfwidth", spec.halfWidth] : [])
            var outputs: [String] = []
            for threads in ["1", "2", "3", "8"] {
                let r = try CLI.run(arguments + ["--threads", threads])
                #expect(r.status == 0, "\(r.stderr)")
                outputs.append(numbersWithoutTiming(r.stdout))
            }
            for other in outputs.dropFirst() { #expect(other == outputs[0], "\(arguments)") }
            #expect(outputs[0].count > 100)
            if stopping {
                #expect(outputs[0].contains("\"stopped_early\":true"), "\(arguments) did not stop early")
            }
            // Another seed, another stream.
            let other = try CLI.run(arguments.map { $0 == "77" ? "78" : $0 } + ["--threads", "2"])
            #expect(other.status == 0)
            #expect(rawNumber("estimate", in: other.stdout) != rawNumber("estimate", in: outputs[0]))
        }
    }

    /// Longer runs (about half a second each), killed with SIGKILL in the
    /// middle of their second checkpoint write and resumed with another
    /// thread count: the resumed run ends with exactly the numbers of an
    /// uninterrupted one.
    @Test("kill in the middle of a checkpoint write, resume with other threads, identical numbers", arguments: [
        ["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "6e7"],
        ["estimate", "single", "--vocab", "4096", "--rollouts", "6e8", "--prior", "zipf:1.1", "--policy", "zipf:1.1"],
        ["estimate", "token", "--length", "100", "--episodes", "3e7", "--target-bias", "0.3", "--noise", "0.1"],
        ["estimate", "sft", "--vocab", "64", "--positives", "3e7", "--prior", "zipf:1", "--policy", "zipf:0.5"],
        ["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "6e7", "--target-halfwidth", "1e-6"],
    ])
    func resume(arguments: [String]) throws {
        let path = temporaryPath("resume")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let base = arguments + ["--json", "--seed", "5", "--quiet"]
        let kill = try CLI.killDuringCheckpointWrite(base + ["--threads", "2", "--checkpoint", path])
        #expect(kill.stalledWrite, "the run did not reach its second checkpoint write")
        #expect(kill.checkpointBefore == kill.checkpointAfter)
        #expect(kill.checkpointBefore.map { String(decoding: $0.prefix(600), as: UTF8.self).contains("\"complete\":false") } == true)
        #expect(FileManager.default.fileExists(atPath: kill.temporary), "the killed write left no temporary")
        let resumed = try CLI.run(base + ["--threads", "1", "--checkpoint", path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: kill.temporary), "the stale temporary was not cleared")
        let uninterrupted = try CLI.run(base + ["--threads", "2"])
        #expect(numbersWithoutTiming(resumed.stdout) == numbersWithoutTiming(uninterrupted.stdout))
    }
}
