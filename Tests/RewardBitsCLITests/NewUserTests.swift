import Foundation
import Testing
import RewardBitsTestSupport

/// What a new user types wrong, and what the tool says back: one line naming
/// the mistake and what to type instead.
@Suite("a new user's mistakes")
struct NewUserTests {
    @Test("misspelt channels, channels without a command, unknown commands", arguments: [
        (["estimate", "grop", "--vocab", "4"], "unknown channel 'grop' (did you mean group?)"),
        (["exact", "singel", "--vocab", "4"], "unknown channel 'singel' (did you mean single?)"),
        (["group", "--vocab", "4"], "unknown command 'group': a channel runs under a command"),
        (["estimat", "group"], "unknown command 'estimat' (did you mean estimate?)"),
        (["estimate", "group", "--vocab", "64", "--group", "4", "--prompts", "-5"], "negative values are not allowed"),
        (["estimate", "group", "--vocab", "64", "--group", "4", "--rollouts", "100"],
         "estimate group counts its samples as prompts: write --prompts N, not --rollouts"),
        (["sweep", "token", "--length", "8,16", "--prompts", "100"], "write --episodes N, not --prompts"),
    ])
    func refused(arguments: [String], message: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 64, "\(arguments): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test("bench --workload takes a list")
    func workloadList() throws {
        let r = try CLI.run(["bench", "--workload", "single,sft", "--threads", "1", "--scale", "0.001", "--confirm", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| single |") && r.stdout.contains("| sft |"), "\(r.stdout)")
    }

    @Test("--progress writes progress when stderr is not a terminal; json gives one object per line")
    func progress() throws {
        let spec = ["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "3e6", "--block-size", "32768"]
        let json = try CLI.run(spec + ["--progress=json", "--json"])
        let lines = json.stderr.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("{\"progress\":") }, "\(json.stderr)")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: [String: Any]])
        #expect(last["progress"]?["samples"] as? Int == 3_000_000)
        #expect(last["progress"]?["total"] as? Int == 3_000_000)
        #expect(json.json["samples"] as? Int == 3_000_000)
        let text = try CLI.run(spec + ["--progress"])
        #expect(text.stderr.contains("rollouts"), "\(text.stderr)")
        let quiet = try CLI.run(spec + ["--json"])
        #expect(quiet.stderr.isEmpty)
    }

    @Test("text output rounds the estimate to its interval; --format latex prints a table row")
    func rounding() throws {
        let text = try CLI.run(["estimate", "single", "--vocab", "64", "--rollouts", "1e6", "--seed", "3"])
        let line = try #require(text.stdout.split(separator: "\n").first { $0.contains("estimate ") })
        #expect(line.contains(try #require(line.firstMatch(of: /[0-9]\.[0-9]{4} \+- 0\.00[0-9]{2} bits/)).output),
                "\(line)")
        let latex = try CLI.run(["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "1e5", "--format", "latex"])
        #expect(latex.status == 0)
        #expect(latex.stdout.hasPrefix("group & vocab=1024, group=32"), "\(latex.stdout)")
        #expect(latex.stdout.contains("\\pm") && latex.stdout.hasSuffix("\\\\\n"), "\(latex.stdout)")
    }

    @Test("rng dump refuses to write binary to a terminal")
    func rngToTerminal() throws {
        // A pseudo-terminal for stdout, as a user's shell gives it.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(CLI.binary.path) rng dump --count 1024", "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64, "\(text)")
        #expect(text.contains("rng dump writes raw binary words"), "\(text)")
        let piped = try CLI.run(["rng", "dump", "--count", "1024"])
        #expect(piped.status == 0 && !piped.stdout.isEmpty)
    }
}
