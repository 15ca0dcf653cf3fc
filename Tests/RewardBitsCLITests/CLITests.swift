import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

@Suite("command line")
struct CLITests {
    @Test("JSON output has the contract's fields")
    func jsonContract() throws {
        let r = try CLI.run(["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "1e5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = r.json
        for key in ["channel", "params", "estimator", "estimate", "ci", "stderr", "samples", "rollouts", "exact", "z",
                    "bounds", "rng", "seed", "threads", "seconds", "rollouts_per_second"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let params = try #require(json["params"] as? [String: Any])
        for key in ["vocab", "group", "prompts", "prior", "policy", "estimator", "block_size", "stream_format"] {
            #expect(params[key] != nil, "params missing \(key)")
        }
        let ci = try #require(json["ci"] as? [String: Any])
        #expect(Set(ci.keys).isSuperset(of: ["level", "low", "high", "halfwidth"]))
        let bounds = try #require(json["bounds"] as? [String: Any])
        #expect(bounds["log2_K_plus_1"] != nil && bounds["mean_log2_M_plus_1"] != nil)
        #expect(json["rollouts"] as? Int == 3_200_000)
    }

    @Test("exact prints the exact value and bounds")
    func exact() throws {
        let r = try CLI.run(["exact", "group", "--vocab", "1024", "--group", "32", "--json"])
        #expect(r.status == 0)
        let value = try #require(rawNumber("exact", in: r.stdout))
        let direct = try #require(GroupExact.uniform(vocabularySize: 1024, groupSize: 32)?.information)
        #expect(value == direct)
        let null = try CLI.run(["exact", "group", "--vocab", "65536", "--group", "32", "--prior", "zipf:1.1", "--json"])
        #expect(null.status == 0)
        #expect(null.json["exact"] is NSNull)
    }

    @Test("CSV output has a header and one row with the estimate columns")
    func csv() throws {
        let r = try CLI.run(["estimate", "token", "--length", "8", "--episodes", "1000", "--csv"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let header = lines[0].split(separator: ",").map(String.init)
        for column in ["estimate", "stderr", "ci_low", "ci_high", "exact"] { #expect(header.contains(column)) }
    }

    @Test("sizes accept 1e7, 10_000_000 and 2^20")
    func sizes() throws {
        for size in ["1e5", "100_000", "2^17"] {
            let r = try CLI.run(["estimate", "single", "--vocab", "2^10", "--rollouts", size, "--json"])
            #expect(r.status == 0, "\(size): \(r.stderr)")
        }
    }

    /// Bad input: one clear line on stderr, exit code 64 (EX_USAGE), no
    /// crash and nothing on stdout.
    @Test("bad input gets one line on stderr and exit code 64", arguments: [
        ["estimate", "single", "--vocab", "1", "--rollouts", "100"],
        ["estimate", "single", "--vocab", "0", "--rollouts", "100"],
        ["estimate", "single", "--vocab", "2^33", "--rollouts", "100"],
        ["estimate", "single", "--vocab", "-4", "--rollouts", "100"],
        ["estimate", "single", "--vocab", "abc", "--rollouts", "100"],
        ["estimate", "single", "--vocab", "", "--rollouts", "100"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "0"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "1e30"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--noise", "0.6"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--noise", "-0.1"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--noise", "nan"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--noise", "inf"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--estimator", "plugin2"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--prior", "zipf:"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--prior", "zipf:-2"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--prior", "gauss"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--prior", "file:/nonexistent/weights"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--rng", "gsl:nope"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--rng", "mersenne"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--confidence", "1"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--confidence", "nan"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--threads", "0"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--threads", "-3"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--seed", "-1"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--json", "--csv"],
        ["estimate", "single", "--vocab", "2^30", "--rollouts", "100", "--prior", "zipf:1"],
        ["estimate", "single", "--vocab", "16"],
        ["estimate", "group", "--vocab", "16", "--group", "0", "--prompts", "100"],
        ["estimate", "group", "--vocab", "16", "--group", "-1", "--prompts", "100"],
        ["estimate", "group", "--vocab", "16", "--group", "4", "--prompts", "0"],
        ["estimate", "token", "--length", "0", "--episodes", "100"],
        ["estimate", "token", "--length", "100000", "--episodes", "100"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--target-bias", "1.5"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--target-bias", "-0.5"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--noise", "0.51"],
        ["estimate", "sft", "--vocab", "100", "--positives", "10", "--mode", "expert", "--alpha", "0.015"],
        ["estimate", "sft", "--vocab", "100", "--positives", "10", "--mode", "expert", "--alpha", "0"],
        ["estimate", "sft", "--vocab", "100", "--positives", "10", "--mode", "expert", "--alpha", "2"],
        ["estimate", "sft", "--vocab", "100", "--positives", "10", "--mode", "psychic"],
        ["estimate", "sft", "--vocab", "100", "--positives", "10", "--alpha", "0.5"],
        ["estimate", "teleport", "--vocab", "100"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--reward", "checkpoint:0"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--reward", "checkpoint:-2"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--reward", "checkpoint:20"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--reward", "graded:0"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--reward", "graded:33"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--reward", "graded:x"],
        ["estimate", "token", "--length", "10", "--episodes", "100", "--reward", "average"],
        ["estimate", "token", "--length", "2000", "--episodes", "100", "--reward", "sum"],
        ["estimate", "token", "--length", "12", "--episodes", "100", "--estimator", "plugin"],
        ["estimate", "token", "--length", "12", "--episodes", "100", "--estimator", "rb"],
        ["estimate", "single", "--vocab", "4096", "--rollouts", "100", "--estimator", "plugin"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "1e4", "--estimator", "plugin", "--histogram"],
        ["estimate", "single", "--vocab", "16", "--estimator", "plugin", "--target-halfwidth", "0.01"],
        ["estimate", "single", "--vocab", "16", "--target-halfwidth", "0"],
        ["estimate", "single", "--vocab", "16", "--target-halfwidth", "-1e-3"],
        ["estimate", "single", "--vocab", "16", "--target-halfwidth", "nan"],
        ["estimate", "single", "--vocab", "16", "--target-halfwidth", "inf"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--max-samples", "1e6"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--histogram", "--bin-width", "0"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--checkpoint", ""],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--checkpoint-every", "0"],
        ["estimate", "group", "--vocab", "16", "--group", "4", "--prompts", "100", "--noise", "0.7"],
        ["sweep", "group", "--vocab", "16", "--group", "4", "--prompts", "100"],
        ["sweep", "group", "--vocab", "16,32", "--group", "4,8", "--prompts", "100"],
        ["sweep", "group", "--vocab", "16", "--group", "4,0", "--prompts", "100"],
        ["sweep", "teleport", "--vocab", "16,32"],
        ["estimate", "single", "--vocab", "16", "--rollouts", "100", "--bogus"],
    ])
    func badInput(arguments: [String]) throws {
        let r = try CLI.run(arguments)
        #expect(!r.signaled, "crashed: \(r.stderr)")
        #expect(r.status == 64, "exit \(r.status): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("rewardbits: error: "))
        #expect(r.stdout.isEmpty)
    }

    @Test("bad weights files: wrong length, all zero, non-numeric")
    func badWeightFiles() throws {
        let directory = FileManager.default.temporaryDirectory
        for (name, content) in [("short", "1\n2\n"), ("zeros", "0\n0\n0\n0\n"), ("text", "1\nx\n3\n4\n"), ("negative", "1\n-2\n3\n4\n")] {
            let url = directory.appendingPathComponent("rb-cli-\(name)-\(getpid()).txt")
            try content.write(to: url, atomically: true, encoding: .utf8)
            let r = try CLI.run(["estimate", "single", "--vocab", "4", "--rollouts", "100", "--prior", "file:\(url.path)"])
            #expect(r.status == 64, "\(name): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        let unreadable = directory.appendingPathComponent("rb-cli-dir-\(getpid())")
        try? FileManager.default.createDirectory(at: unreadable, withIntermediateDirectories: true)
        let r = try CLI.run(["estimate", "single", "--vocab", "4", "--rollouts", "100", "--prior", "file:\(unreadable.path)"])
        #expect(r.status == 64)
    }

    @Test("checkpoint errors: unwritable path 73, corrupted or foreign file 65")
    func checkpointErrors() throws {
        let directory = FileManager.default.temporaryDirectory
        let base = ["estimate", "group", "--vocab", "64", "--group", "4", "--prompts", "1e5", "--seed", "3"]
        let unwritable = try CLI.run(base + ["--checkpoint", "/nonexistent/folder/ck.bin"])
        #expect(unwritable.status == 73, "\(unwritable.stderr)")
        #expect(unwritable.stderr.split(separator: "\n").count == 1)
        let corrupt = directory.appendingPathComponent("rb-corrupt-\(getpid()).bin")
        try Data("RWBCKPT1\nnot really".utf8).write(to: corrupt)
        let c = try CLI.run(base + ["--checkpoint", corrupt.path])
        #expect(c.status == 65, "\(c.stderr)")
        #expect(c.stderr.split(separator: "\n").count == 1)
        // A good checkpoint, then a truncated copy and a foreign run.
        let good = directory.appendingPathComponent("rb-good-\(getpid()).bin")
        try? FileManager.default.removeItem(at: good)
        #expect(try CLI.run(base + ["--checkpoint", good.path]).status == 0)
        let foreign = try CLI.run(["estimate", "group", "--vocab", "64", "--group", "4", "--prompts", "1e5", "--seed", "4",
                                   "--checkpoint", good.path])
        #expect(foreign.status == 65)
        #expect(foreign.stderr.contains("seed"))
        var bytes = try Data(contentsOf: good)
        bytes.removeLast(5)
        let truncated = directory.appendingPathComponent("rb-truncated-\(getpid()).bin")
        try bytes.write(to: truncated)
        #expect(try CLI.run(base + ["--checkpoint", truncated.path]).status == 65)
        // Rerunning a finished run reproduces it from the checkpoint.
        let again = try CLI.run(base + ["--checkpoint", good.path, "--json"])
        let fresh = try CLI.run(base + ["--json"])
        #expect(numbersWithoutTiming(again.stdout) == numbersWithoutTiming(fresh.stdout))
    }

    /// A run killed with SIGKILL part-way resumes from its last checkpoint and
    /// ends with exactly the numbers of an uninterrupted run.
    @Test("SIGKILL, resume, identical numbers")
    func killAndResume() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rb-kill-\(getpid()).bin").path
        try? FileManager.default.removeItem(atPath: path)
        let arguments = ["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "2e8", "--json",
                         "--seed", "9", "--threads", "2", "--quiet"]
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments + ["--checkpoint", path, "--checkpoint-every", "0.2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline && process.isRunning {
            usleep(20_000)
        }
        usleep(300_000)
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(wasRunning, "the run finished before it could be killed; make it longer")
        #expect(process.terminationReason == .uncaughtSignal)
        let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: path)).prefix(600), as: UTF8.self)
        #expect(header.contains("\"complete\":false"))
        let resumed = try CLI.run(arguments + ["--checkpoint", path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let uninterrupted = try CLI.run(arguments)
        #expect(numbersWithoutTiming(resumed.stdout) == numbersWithoutTiming(uninterrupted.stdout))
    }

    @Test("sweep prints one row per value")
    func sweep() throws {
        let r = try CLI.run(["sweep", "group", "--vocab", "1024", "--group", "1,2,4,8", "--prompts", "1e5", "--csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("group,channel,estimator,estimate"))
        #expect(lines[4].hasPrefix("8,group,"))
        let json = try CLI.run(["sweep", "token", "--length", "16", "--episodes", "1e4", "--noise", "0,0.1,0.5", "--json"])
        let rows = try #require(json.json["rows"] as? [[String: Any]])
        #expect(rows.count == 3)
        let estimates = rows.compactMap { $0["estimate"] as? Double }
        #expect(estimates[0] == 16 && estimates[2] < 0.5)
        let table = try CLI.run(["sweep", "single", "--vocab", "2,16,256", "--rollouts=1e5"])
        #expect(table.status == 0)
        #expect(table.stdout.split(separator: "\n").count == 4)
    }

    @Test("--help teaches and exits 0")
    func help() throws {
        let r = try CLI.run(["estimate", "group", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("--prompts"))
    }

    /// The regression check against a baseline whose rate was scaled: a
    /// baseline 1000 times faster than this machine is a regression (exit 1,
    /// one line saying so, no error line), one 1000 times slower an
    /// improvement (exit 0).
    @Test("bench --compare tells a regression from an improvement")
    func benchCompare() throws {
        let baseline = temporaryPath("baseline")
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        let bench = ["bench", "--workload", "sft", "--threads", "1", "--scale", "0.002", "--confirm", "0"]
        let written = try CLI.run(bench + ["--write-baseline", baseline])
        #expect(written.status == 0, "\(written.stderr)")
        let line = try String(contentsOfFile: baseline, encoding: .utf8).trimmingCharacters(in: .newlines)
        var row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let rate = try #require(row["throughput"] as? Double)
        for (factor, status, verdict) in [(1000.0, Int32(1), "REGRESSION"), (0.001, 0, "improvement")] {
            row["throughput"] = rate * factor
            let data = try JSONSerialization.data(withJSONObject: row)
            try data.write(to: URL(fileURLWithPath: baseline))
            let r = try CLI.run(bench + ["--compare", baseline, "--threshold", "15"])
            #expect(r.status == status, "factor \(factor): \(r.stderr)")
            #expect(r.stdout.contains(verdict), "factor \(factor): \(r.stdout)")
            #expect(!r.stderr.contains("error:"), "factor \(factor): \(r.stderr)")
        }
        // A baseline with rows of two machine kinds: this CPU's row is the
        // reference even when another CPU's row (1000x faster) comes last.
        row["throughput"] = rate * 0.01
        var other = row
        other["cpu"] = "Some Other CPU (family 0, model 0, stepping 0)"
        other["throughput"] = rate * 1000
        let rows = try [row, other].map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        try (rows.joined(separator: "\n") + "\n").write(toFile: baseline, atomically: true, encoding: .utf8)
        let mixed = try CLI.run(bench + ["--compare", baseline, "--threshold", "15"])
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(mixed.stdout.contains("improvement") && !mixed.stdout.contains("note:"), "\(mixed.stdout)")
        // Nothing to compare with (another scale) is not a pass.
        var elsewhere = bench
        elsewhere[elsewhere.firstIndex(of: "0.002")!] = "0.003"
        let none = try CLI.run(elsewhere + ["--compare", baseline])
        #expect(none.status == 2 && none.stderr.contains("no row of this run has a baseline row"), "\(none.stderr)")
    }

    /// The AVX-512 group kernel counts distinct tokens by conflict detection
    /// on AMD, by a sorting network on other CPUs, and with stamps in the
    /// other copies; all three must give the same numbers (forced here
    /// through REWARDBITS_GROUP_DISTINCT), for K = 32 and for groups that
    /// leave lanes unused, up to V = 2^16 (the largest token the sorting
    /// network's 16-bit lanes hold), and for 32 < K <= 64, where conflict
    /// detection compares four vectors and the sorting network gives way to
    /// the stamps. The kernels for other priors and policies (any V) find a
    /// group's first occurrences by conflict detection with "conflict" and by
    /// a stamp table or hash set otherwise.
    @Test("group: conflict detection, sorting network and stamps give identical results",
          .enabled(if: InstructionSet.avx512.isSupported, "needs AVX-512 (the conflict-detection and sorting-network copies)"))
    func groupDistinctMethods() throws {
        for args in [["--vocab", "1024", "--group", "32"], ["--vocab", "64", "--group", "19", "--estimator", "pointwise"],
                     ["--vocab", "2", "--group", "32"], ["--vocab", "65536", "--group", "32", "--estimator", "pointwise"],
                     ["--vocab", "16", "--group", "1"], ["--vocab", "8", "--group", "16"], ["--vocab", "4096", "--group", "31"],
                     // Three and four vectors (and K = 65, past them).
                     ["--vocab", "1024", "--group", "64"], ["--vocab", "64", "--group", "47", "--estimator", "pointwise"],
                     ["--vocab", "8", "--group", "64"], ["--vocab", "65536", "--group", "48", "--estimator", "pointwise"],
                     ["--vocab", "256", "--group", "33"], ["--vocab", "1024", "--group", "65", "--estimator", "pointwise"],
                     // Non-uniform priors: the generic group kernel, whose
                     // K <= 32 register path runs with conflict detection.
                     ["--vocab", "65536", "--group", "32", "--prior", "zipf:1.1", "--policy", "zipf:1.1"],
                     ["--vocab", "1000", "--group", "17", "--prior", "zipf:1.3", "--policy", "zipf:0.8", "--estimator", "pointwise"],
                     ["--vocab", "50", "--group", "32", "--prior", "zipf:2", "--policy", "zipf:2", "--estimator", "pointwise"],
                     ["--vocab", "300000", "--group", "31", "--prior", "zipf:1.1", "--estimator", "pointwise"],
                     ["--vocab", "100", "--group", "1", "--prior", "zipf:1.1"],
                     ["--vocab", "100", "--group", "33", "--prior", "zipf:1.1", "--policy", "zipf:1.1"],
                     ["--vocab", "65536", "--group", "64", "--prior", "zipf:1.1", "--policy", "zipf:1.1"],
                     ["--vocab", "40", "--group", "57", "--prior", "zipf:1.5", "--policy", "zipf:1.5", "--estimator", "pointwise"],
                     ["--vocab", "300000", "--group", "49", "--prior", "zipf:1.1", "--estimator", "pointwise"],
                     // Uniform prior, other policies or V > 2^16.
                     ["--vocab", "1024", "--group", "32", "--policy", "zipf:1.1"],
                     ["--vocab", "100000", "--group", "20", "--estimator", "pointwise"],
                     ["--vocab", "1000", "--group", "64", "--estimator", "pointwise"], ["--vocab", "999", "--group", "41"],
                     ["--vocab", "2000000", "--group", "32", "--policy", "zipf:1.05", "--estimator", "pointwise"]] {
            let command = ["estimate", "group"] + args + ["--prompts", "200001", "--json"]
            let outputs = try ["conflict", "sort", "stamps"].map { method in
                let r = try CLI.run(command, environment: ["REWARDBITS_SIMD": "avx512", "REWARDBITS_GROUP_DISTINCT": method])
                #expect(r.status == 0, "\(method): \(r.stderr)")
                return numbersWithoutTiming(r.stdout)
            }
            #expect(outputs[0] == outputs[2] && outputs[1] == outputs[2], "\(args)")
        }
    }
}
