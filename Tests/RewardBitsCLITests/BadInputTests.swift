import Foundation
import Testing
import RewardBitsTestSupport
import RewardBits

/// Every option of every command against the same hostile values: refused
/// with one `rewardbits: error:` line on stderr, exit code 64, nothing on
/// stdout and no crash, unless the value is one the option really accepts
/// (then the command must succeed).
@Suite("bad input")
struct BadInputTests {
    static let values = ["", "-1", "0", "nan", "inf", "1e300", "abc", "zipf:x", "2^70"]

    struct Case: CustomTestStringConvertible, Sendable {
        var base: [String]
        var option: String
        /// The probe values this option accepts.
        var accepts: Set<String> = []
        /// Whether to run the accepted values too (false where a successful
        /// run takes seconds or writes into the working folder).
        var runAccepted = true
        var testDescription: String { "\(base.prefix(2).joined(separator: " ")) \(option)" }
    }

    static let single = ["estimate", "single", "--vocab", "16", "--rollouts", "1000", "--quiet"]
    static let group = ["estimate", "group", "--vocab", "16", "--group", "4", "--prompts", "1000", "--quiet"]
    static let token = ["estimate", "token", "--length", "16", "--episodes", "1000", "--quiet"]
    static let sft = ["estimate", "sft", "--vocab", "16", "--positives", "100", "--quiet"]
    static let bench = ["bench", "--scale", "0.001", "--threads", "1", "--workload", "single"]
    static let coverage = ["validate", "coverage", "--replicates", "10", "--rows", "sft filtered uniform"]

    static let cases: [Case] = [
        Case(base: ["estimate", "single", "--rollouts", "1000"], option: "--vocab"),
        Case(base: ["estimate", "single", "--vocab", "16"], option: "--rollouts"),
        Case(base: single, option: "--noise", accepts: ["0"]),
        Case(base: single, option: "--prior"),
        Case(base: single, option: "--policy"),
        Case(base: single, option: "--estimator"),
        Case(base: single, option: "--seed", accepts: ["0"]),
        Case(base: single, option: "--threads"),
        Case(base: single, option: "--rng"),
        Case(base: single, option: "--confidence"),
        Case(base: single, option: "--interval"),
        Case(base: single, option: "--block-size"),
        Case(base: single, option: "--target-halfwidth", accepts: ["1e300"]),
        Case(base: single + ["--target-halfwidth", "0.01"], option: "--max-samples"),
        Case(base: single + ["--target-halfwidth", "0.01"], option: "--min-samples", accepts: ["0"]),
        Case(base: single, option: "--checkpoint-every", accepts: ["1e300"]),
        Case(base: single + ["--histogram"], option: "--bin-width", accepts: ["1e300"]),
        Case(base: ["estimate", "group", "--group", "4", "--prompts", "1000"], option: "--vocab"),
        Case(base: ["estimate", "group", "--vocab", "16", "--prompts", "1000"], option: "--group"),
        Case(base: ["estimate", "group", "--vocab", "16", "--group", "4"], option: "--prompts"),
        Case(base: group, option: "--prior"),
        Case(base: group, option: "--policy"),
        Case(base: group, option: "--estimator"),
        Case(base: group, option: "--noise", accepts: ["0"]),
        Case(base: ["estimate", "token", "--episodes", "1000"], option: "--length"),
        Case(base: ["estimate", "token", "--length", "16"], option: "--episodes"),
        Case(base: token, option: "--target-bias", accepts: ["0"]),
        Case(base: token, option: "--noise", accepts: ["0"]),
        Case(base: token, option: "--reward"),
        Case(base: token, option: "--estimator"),
        Case(base: ["estimate", "sft", "--positives", "100"], option: "--vocab"),
        Case(base: ["estimate", "sft", "--vocab", "16"], option: "--positives"),
        Case(base: sft, option: "--mode"),
        Case(base: sft + ["--mode", "expert"], option: "--alpha"),
        Case(base: sft, option: "--prior"),
        Case(base: sft, option: "--policy"),
        Case(base: ["exact", "group", "--group", "4"], option: "--vocab"),
        Case(base: ["exact", "group", "--vocab", "16"], option: "--group"),
        Case(base: ["exact", "token"], option: "--length"),
        Case(base: ["sweep", "group", "--vocab", "16", "--prompts", "100"], option: "--group"),
        // A row filter is text: "0" and "inf" (as in "reinforce") match rows.
        Case(base: ["validate", "coverage", "--replicates", "10"], option: "--rows", accepts: ["0", "inf"], runAccepted: false),
        Case(base: ["validate", "coverage", "--rows", "sft filtered uniform"], option: "--replicates"),
        Case(base: coverage, option: "--seed", accepts: ["0"]),
        Case(base: coverage, option: "--threads"),
        Case(base: ["rng", "dump", "--count", "1024"], option: "--rng"),
        Case(base: ["rng", "dump", "--count", "1024"], option: "--seed", accepts: ["0"]),
        Case(base: ["rng", "dump", "--count", "1024"], option: "--words-per-block"),
        Case(base: ["rng", "dump", "--count", "1024"], option: "--count", accepts: ["0"]),
        Case(base: ["budget"], option: "--model"),
        Case(base: ["budget"], option: "--rank"),
        Case(base: ["budget"], option: "--problems"),
        Case(base: ["budget"], option: "--samples"),
        Case(base: ["budget"], option: "--bits-per-rollout", accepts: ["1e300"]),
        Case(base: ["budget"], option: "--capacity", accepts: ["1e300"]),
        Case(base: ["reproduce", "--quick", "--out", "/nonexistent/never-written"], option: "--format"),
        Case(base: ["reproduce", "--quick", "--out", "/nonexistent/never-written"], option: "--seed", accepts: ["0"],
             runAccepted: false),
        Case(base: ["reproduce", "--quick", "--out", "/nonexistent/never-written"], option: "--threads"),
        Case(base: bench, option: "--workload"),
        Case(base: bench, option: "--threads"),
        Case(base: bench, option: "--scale"),
        Case(base: bench, option: "--repeat"),
        Case(base: bench, option: "--simd"),
        Case(base: bench, option: "--threshold", accepts: ["1e300"], runAccepted: false),
        Case(base: bench, option: "--confirm", accepts: ["0"], runAccepted: false),
        Case(base: bench, option: "--compare"),
    ]

    @Test("every option against empty, negative, zero, NaN, inf, huge, non-numeric and malformed values",
          arguments: cases)
    func option(_ c: Case) throws {
        for value in Self.values {
            let accepted = c.accepts.contains(value)
            if accepted && !c.runAccepted { continue }
            let r = try CLI.run(c.base + [c.option, value])
            let label = "\(c.base.joined(separator: " ")) \(c.option) '\(value)'"
            #expect(!r.signaled, "\(label) crashed: \(r.stderr)")
            if accepted {
                #expect(r.status == 0, "\(label) should run: \(r.stderr)")
                continue
            }
            #expect(r.status == 64, "\(label): exit \(r.status), \(r.stderr)")
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1, "\(label): stderr \(r.stderr)")
            #expect(r.stderr.hasPrefix("rewardbits: error: "), "\(label): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(label): stdout \(r.stdout.prefix(200))")
        }
    }

    /// Outputs that cannot be written are refused before any work, with
    /// one line and EX_CANTCREAT (73; 64 for an empty path), and leave
    /// nothing behind: no file at the destination, no temporary beside it,
    /// and an existing folder or file in the way is left as it was.
    @Test("unwritable and unreadable paths: one line, the right code, nothing written")
    func paths() throws {
        let folder = temporaryPath("paths")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let keep = folder + "/keep.txt"
        try "precious\n".write(toFile: keep, atomically: true, encoding: .utf8)
        let subfolder = folder + "/sub"
        try FileManager.default.createDirectory(atPath: subfolder, withIntermediateDirectories: true)
        try "also precious\n".write(toFile: subfolder + "/inside.txt", atomically: true, encoding: .utf8)
        let garbage = folder + "/garbage.jsonl"
        try "not json\n{also not\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()

        let cases: [([String], Int32)] = [
            (Self.single + ["--checkpoint", "/nonexistent/folder/ck.bin"], 73),
            (Self.single + ["--checkpoint", subfolder], 73),
            (Self.single + ["--checkpoint", keep + "/ck.bin"], 73),
            (Self.single + ["--prior", "file:" + subfolder], 64),
            (Self.single + ["--prior", "file:/nonexistent/weights.txt"], 64),
            (["reproduce", "--quick", "--out", keep], 73),
            (["reproduce", "--quick", "--out", keep + "/figures"], 73),
            (Self.bench + ["--write-baseline", ""], 64),
            (Self.bench + ["--write-baseline", subfolder], 73),
            (Self.bench + ["--write-baseline", "/nonexistent/folder/baseline.jsonl"], 73),
            (Self.bench + ["--record", "--history", subfolder], 73),
            (Self.bench + ["--record", "--history", "/nonexistent/folder/history.jsonl"], 73),
            (Self.bench + ["--compare", "/nonexistent/baseline.jsonl"], 64),
            (Self.bench + ["--compare", garbage], 64),
            (Self.bench + ["--compare", subfolder], 64),
        ]
        for (arguments, code) in cases {
            let r = try CLI.run(arguments)
            let label = arguments.joined(separator: " ")
            #expect(!r.signaled, "\(label) crashed")
            #expect(r.status == code, "\(label): exit \(r.status), \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(label): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(label): \(r.stdout.prefix(200))")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == before)
        #expect(try String(contentsOfFile: keep, encoding: .utf8) == "precious\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: subfolder) == ["inside.txt"])
    }

    @Test("sizes at the limits work or are refused: V = 2^32, T = 2^16, K = 2^20, rollout counts below 2^64")
    func limits() throws {
        let works: [[String]] = [
            ["estimate", "single", "--vocab", "2^32", "--rollouts", "1e5"],
            ["estimate", "single", "--vocab", "2^32", "--rollouts", "1e4", "--estimator", "rb"],
            ["estimate", "group", "--vocab", "2^32", "--group", "8", "--prompts", "1e4"],
            ["estimate", "group", "--vocab", "2^32", "--group", "4", "--prompts", "100", "--noise", "0.1"],
            ["estimate", "sft", "--vocab", "2^32", "--positives", "100", "--mode", "expert"],
            ["estimate", "token", "--length", "2^16", "--episodes", "100", "--noise", "0.1"],
            ["estimate", "group", "--vocab", "1024", "--group", "2^20", "--prompts", "2"],
            ["exact", "group", "--vocab", "2^32", "--group", "64"],
        ]
        for arguments in works {
            let r = try CLI.run(arguments + ["--json"])
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
            #expect(r.json["estimate"] is Double || r.json["exact"] is Double, "\(arguments): \(r.stdout.prefix(300))")
            #expect(r.stdout.range(of: #"\b(nan|inf|infinity)\b"#, options: [.regularExpression, .caseInsensitive]) == nil,
                    "\(arguments): \(r.stdout.prefix(300))")
        }
        let refused: [[String]] = [
            ["estimate", "single", "--vocab", "2^32+1", "--rollouts", "100"],
            ["estimate", "single", "--vocab", "4294967297", "--rollouts", "100"],
            ["estimate", "single", "--vocab", "2^25", "--rollouts", "100", "--prior", "zipf:1"],
            ["estimate", "token", "--length", "65537", "--episodes", "100"],
            ["estimate", "group", "--vocab", "16", "--group", "1048577", "--prompts", "100"],
            ["estimate", "group", "--vocab", "1024", "--group", "2^20", "--prompts", "2^50"],
            ["estimate", "token", "--length", "65536", "--episodes", "2^60"],
            ["estimate", "sft", "--vocab", "16", "--positives", "2^63"],
            // Counts near 2^64 must not wrap the block arithmetic.
            ["estimate", "single", "--vocab", "16", "--rollouts", "1000", "--block-size", "18446744073709551615"],
            ["estimate", "single", "--vocab", "16", "--rollouts", "1000", "--block-size", "2^32+1"],
            ["estimate", "single", "--vocab", "16", "--rollouts", "1000", "--block-size", "4294967297"],
            ["estimate", "token", "--length", "16", "--episodes", "1000", "--block-size", "2^40"],
            ["estimate", "single", "--vocab", "16", "--rollouts", "18446744073709551615", "--estimator", "plugin"],
            // A policy mass that is positive but subnormal: E[L] overflows.
            ["estimate", "sft", "--vocab", "16", "--positives", "100", "--policy", "zipf:260"],
            // LoRA parameter counts beyond 64 bits.
            ["budget", "--rank", "1000000000000000000"],
            ["budget", "--model", "custom", "--layers", "3", "--hidden", "9000000000000000000", "--intermediate", "3",
             "--heads", "3"],
            ["budget", "--model", "custom", "--layers", "2", "--hidden", "8", "--intermediate", "8", "--heads", "4000000000",
             "--head-dim", "4000000000"],
        ]
        for arguments in refused {
            let r = try CLI.run(arguments)
            #expect(r.status == 64, "\(arguments): exit \(r.status) \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
    }

    /// A zero-variance estimate prints a zero-width interval (not NaN), and
    /// no output anywhere carries NaN or infinity.
    @Test("no NaN or infinity reaches the output; zero variance gives a zero-width interval")
    func finiteOutput() throws {
        let zero = try CLI.run(["estimate", "token", "--length", "64", "--episodes", "1000", "--json"])
        #expect(zero.status == 0)
        let ci = try #require(zero.json["ci"] as? [String: Any])
        #expect(ci["low"] as? Double == 64 && ci["high"] as? Double == 64 && ci["halfwidth"] as? Double == 0)
        #expect(zero.json["z"] is NSNull)
        let runs: [[String]] = [
            ["estimate", "token", "--length", "64", "--episodes", "1000", "--csv"],
            ["estimate", "single", "--vocab", "1024", "--rollouts", "1000", "--estimator", "rb", "--json"],
            ["estimate", "single", "--vocab", "2^20", "--rollouts", "100", "--json", "--histogram"],
            ["estimate", "group", "--vocab", "2", "--group", "64", "--prompts", "1000", "--json"],
            ["estimate", "group", "--vocab", "2", "--group", "1", "--prompts", "100", "--estimator", "pointwise", "--json"],
            ["estimate", "sft", "--vocab", "2", "--positives", "100", "--json"],
            ["estimate", "sft", "--vocab", "16", "--positives", "100", "--mode", "expert", "--alpha", "1", "--json"],
            ["estimate", "token", "--length", "1", "--episodes", "100", "--noise", "0.5", "--json"],
            ["estimate", "token", "--length", "8", "--episodes", "100", "--target-bias", "1", "--reward", "sum", "--json"],
            ["estimate", "single", "--vocab", "2", "--rollouts", "100", "--estimator", "plugin", "--prior", "zipf:30", "--json"],
            ["exact", "single", "--vocab", "2^32", "--noise", "0.5", "--json"],
            ["budget", "--measure", "group", "--vocab", "2", "--prompts", "100"],
        ]
        // Every rollout so far drew the symbol of policy mass 1 - 2^-30 and
        // hit: the interval must still reach toward the misses, which have
        // not happened yet (and here contains the exact value).
        let unseen = try CLI.run(["estimate", "single", "--vocab", "2", "--prior", "zipf:30", "--policy", "zipf:30",
                                  "--rollouts", "1e5", "--json"])
        #expect(unseen.status == 0, "\(unseen.stderr)")
        #expect(unseen.json["interval_method"] as? String == "rare-event-stratified")
        #expect(unseen.json["rare_events"] as? Int == 100_000)
        let unseenCI = try #require(unseen.json["ci"] as? [String: Any])
        let unseenExact = try #require(unseen.json["exact"] as? Double)
        #expect((unseenCI["low"] as? Double ?? .infinity) <= unseenExact && unseenExact <= (unseenCI["high"] as? Double ?? 0))
        for arguments in runs {
            let r = try CLI.run(arguments)
            #expect(r.status == 0, "\(arguments): \(r.stderr)")
            let nonFinite = r.stdout.range(of: #"\b(nan|inf|infinity)\b"#, options: [.regularExpression, .caseInsensitive])
            #expect(nonFinite == nil, "\(arguments): \(r.stdout.prefix(400))")
        }
    }
}
