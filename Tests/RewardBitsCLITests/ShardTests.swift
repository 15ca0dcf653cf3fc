import Foundation
import Testing
import RewardBitsTestSupport

/// Shards and merge: the merged output is what one process prints, bit for
/// bit (timing fields and the part count aside), for any split, thread count
/// per shard and file order; every bad set of parts is refused with one line
/// and exit 65.
@Suite("shards and merge")
struct ShardTests {
    /// One spec per channel (and the plug-in, histogram and sweep forms),
    /// with blocks small enough that seven shards all get some.
    static let specs: [[String]] = [
        ["estimate", "single", "--vocab", "4096", "--rollouts", "2e5", "--prior", "zipf:1.1", "--policy", "zipf:1.1",
         "--block-size", "10000"],
        ["estimate", "single", "--estimator", "plugin", "--vocab", "64", "--rollouts", "1e5", "--block-size", "3000"],
        ["estimate", "group", "--vocab", "64", "--group", "8", "--prompts", "1e5", "--noise", "0.1", "--estimator",
         "pointwise", "--block-size", "5000"],
        ["estimate", "token", "--length", "64", "--episodes", "2e4", "--reward", "checkpoint:8", "--noise", "0.05",
         "--block-size", "1000"],
        ["estimate", "token", "--length", "64", "--reward", "sum", "--episodes", "2e4", "--histogram", "--block-size", "1000"],
        ["estimate", "sft", "--vocab", "64", "--positives", "1e5", "--prior", "zipf:1", "--policy", "zipf:0.5",
         "--block-size", "5000"],
        ["estimate", "gradient", "--vocab", "64", "--group", "6", "--advantage", "grpo", "--noise", "0.1", "--prompts",
         "4000", "--prior", "zipf:1", "--block-size", "200"],
        ["estimate", "learner", "--vocab", "64", "--group", "4", "--steps", "4", "--learner", "thompson", "--runs", "4000",
         "--block-size", "200"],
        ["sweep", "group", "--vocab", "256", "--group", "1,4,16", "--prompts", "1e5", "--block-size", "5000"],
    ]

    /// The JSON without timing fields and without the merge's part count.
    static func comparable(_ text: String) -> String {
        numbersWithoutTiming(text).replacingOccurrences(of: ",\"merged_parts\":[0-9]+", with: "", options: .regularExpression)
    }

    /// Writes shards 0..<count of `spec` into `folder`, shard i with 1 + i % 3 threads.
    static func writeShards(_ spec: [String], count: Int, folder: String, prefix: String = "part",
                            extra: [String] = []) throws -> [String] {
        try (0..<count).map { i in
            let path = "\(folder)/\(prefix)-\(i).rwb"
            let r = try CLI.run(spec + ["--seed", "9", "--shard", "\(i)/\(count)", "--partial", path,
                                        "--threads", "\(1 + i % 3)", "--quiet"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return path
        }
    }

    static func folder(_ label: String) throws -> String {
        let path = temporaryPath(label)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("merge of N = 1, 2, 3, 7 shards equals one process, bit for bit, any threads and file order",
          arguments: specs.indices)
    func bitwise(index: Int) throws {
        let spec = Self.specs[index]
        let folder = try Self.folder("shards")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let one = try CLI.run(spec + ["--seed", "9", "--json", "--threads", "2", "--quiet"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.count > 100)
        var generator = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 7] {
            let parts = try Self.writeShards(spec, count: count, folder: folder, prefix: "n\(count)")
            let merged = try CLI.run(["merge", "--json", "--quiet"] + parts.shuffled(using: &generator))
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(Self.comparable(merged.stdout) == Self.comparable(one.stdout), "\(spec) N = \(count)")
            #expect(merged.stdout.contains("\"merged_parts\":\(count)"))
        }
    }

    @Test("merge --target-halfwidth stops where one process stops, and names the next block range when short")
    func stopRule() throws {
        let spec = ["estimate", "group", "--vocab", "1024", "--group", "32", "--prompts", "4e6", "--block-size", "65536"]
        let folder = try Self.folder("stop")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let one = try CLI.run(spec + ["--seed", "9", "--json", "--quiet", "--target-halfwidth", "1e-5"])
        #expect(one.status == 0)
        #expect(one.stdout.contains("\"stopped_early\":true"))
        let first = try Self.writeShards(spec, count: 4, folder: folder, prefix: "a", extra: ["--block-range", "0..8"])
        let short = try CLI.run(["merge", "--json", "--target-halfwidth", "1e-5"] + first)
        #expect(short.status == 0, "\(short.stderr)")
        #expect(short.stdout.contains("\"target_reached\":false"))
        let advice = try #require(short.stderr.firstMatch(of: /--block-range 8\.\.([0-9]+) --shard I\/4/))
        let end = try #require(Int(advice.1))
        #expect(end > 8 && end <= 62)
        let second = try Self.writeShards(spec, count: 4, folder: folder, prefix: "b",
                                          extra: ["--block-range", "8..\(end)"])
        let merged = try CLI.run(["merge", "--json", "--target-halfwidth", "1e-5"] + (second + first).reversed())
        #expect(merged.status == 0, "\(merged.stderr)")
        if one.stdout.contains("\"samples\":\(65536 * end),") || merged.stdout.contains("\"target_reached\":true") {
            #expect(Self.comparable(merged.stdout) == Self.comparable(one.stdout))
        } else {
            Issue.record("the advised range 8..\(end) did not reach the target: \(merged.stderr)")
        }
    }

    @Test("gaps, overlaps, duplicates, foreign and corrupted parts are refused with one line and exit 65")
    func refusals() throws {
        let spec = ["estimate", "group", "--vocab", "64", "--group", "4", "--prompts", "3e5", "--block-size", "10000"]
        let folder = try Self.folder("refuse")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let parts = try Self.writeShards(spec, count: 4, folder: folder)
        func refused(_ files: [String], _ pattern: String) throws {
            let r = try CLI.run(["merge", "--json"] + files)
            #expect(r.status == 65, "\(files): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains(pattern), "\(r.stderr) lacks '\(pattern)'")
        }
        // A gap: shard 1 of 4 holds blocks 7 to 14 of 30.
        try refused([parts[0], parts[2], parts[3]], "blocks 7 to 14 are in no part")
        // A duplicate: the same shard under two names.
        let copy = "\(folder)/copy.rwb"
        try FileManager.default.copyItem(atPath: parts[2], toPath: copy)
        try refused(parts + [copy], "are both shard 2/4")
        // An overlap: a part of another split of the same run.
        let other = try Self.writeShards(spec, count: 3, folder: folder, prefix: "three")
        try refused(parts + [other[1]], "overlap")
        // A foreign seed.
        let foreign = "\(folder)/foreign.rwb"
        #expect(try CLI.run(spec + ["--seed", "10", "--shard", "1/4", "--partial", foreign, "--quiet"]).status == 0)
        try refused([parts[0], foreign, parts[2], parts[3]], "seed 10 there, 9 in part")
        // A foreign spec.
        let spec2 = "\(folder)/spec.rwb"
        #expect(try CLI.run(spec.map { $0 == "64" ? "128" : $0 }
                            + ["--seed", "9", "--shard", "1/4", "--partial", spec2, "--quiet"]).status == 0)
        try refused([parts[0], spec2, parts[2], parts[3]], "belongs to another run")
        // One byte changed, and a truncated file.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: parts[1]))
        bytes[bytes.count - 20] ^= 0x5a
        let edited = "\(folder)/edited.rwb"
        try bytes.write(to: URL(fileURLWithPath: edited))
        try refused([parts[0], edited, parts[2], parts[3]], "is corrupted (checksum mismatch")
        let truncated = "\(folder)/truncated.rwb"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        try refused([parts[0], truncated, parts[2], parts[3]], "is corrupted")
        // Not a part at all.
        let text = "\(folder)/text.rwb"
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: text))
        try refused([text], "is not a RewardBits shard part")
    }

    @Test("merge takes the output options: --confidence, --interval, --csv")
    func outputOptions() throws {
        let spec = ["estimate", "single", "--vocab", "1048576", "--prior", "zipf:1", "--rollouts", "2e5",
                    "--block-size", "20000"]
        let folder = try Self.folder("output")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let parts = try Self.writeShards(spec, count: 3, folder: folder)
        let options = ["--confidence", "0.9", "--interval", "clopper-pearson"]
        let one = try CLI.run(spec + ["--seed", "9", "--json", "--quiet"] + options)
        let merged = try CLI.run(["merge", "--json"] + options + parts)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(Self.comparable(merged.stdout) == Self.comparable(one.stdout))
        #expect(merged.stdout.contains("\"level\":0.9"))
        let csv = try CLI.run(["merge", "--csv"] + parts)
        #expect(csv.status == 0 && csv.stdout.split(separator: "\n").count == 2, "\(csv.stdout)")
        let bad = try CLI.run(["merge", "--interval", "wald"] + parts)
        #expect(bad.status == 64 && bad.stderr.contains("--interval takes"))
    }

    @Test("--report-missing lists the shards still to run")
    func reportMissing() throws {
        let spec = ["estimate", "single", "--vocab", "64", "--rollouts", "2e5", "--block-size", "10000"]
        let folder = try Self.folder("missing")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let parts = try Self.writeShards(spec, count: 7, folder: folder)
        let r = try CLI.run(["merge", "--report-missing"] + parts.enumerated().filter { ![2, 5].contains($0.offset) }.map(\.element))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "2/7\n5/7\n")
        let none = try CLI.run(["merge", "--report-missing"] + parts)
        #expect(none.status == 0 && none.stdout.isEmpty)
    }

    @Test("a killed shard leaves no part; rerun (or resumed from its checkpoint) it merges to one process's numbers")
    func killedShard() throws {
        let spec = ["estimate", "gradient", "--vocab", "64", "--group", "6", "--advantage", "grpo", "--noise", "0.1",
                    "--prompts", "6e5", "--seed", "9"]
        let folder = try Self.folder("killed")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for withCheckpoint in [false, true] {
            let part0 = "\(folder)/p0-\(withCheckpoint).rwb", part1 = "\(folder)/p1-\(withCheckpoint).rwb"
            let checkpoint = "\(folder)/p0-\(withCheckpoint).ckpt"
            let extra = withCheckpoint ? ["--checkpoint", checkpoint, "--checkpoint-every", "0.05"] : []
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = spec + ["--shard", "0/2", "--partial", part0, "--threads", "2", "--quiet"] + extra
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill it once it has been working a while (a checkpoint, when asked for, is on disk).
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline,
                  withCheckpoint ? !FileManager.default.fileExists(atPath: checkpoint) : Date() < deadline.addingTimeInterval(-29.7) {
                usleep(10_000)
            }
            usleep(100_000)
            #expect(process.isRunning, "the shard finished before it could be killed")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(!FileManager.default.fileExists(atPath: part0), "a killed shard left a part")
            #expect(FileManager.default.fileExists(atPath: checkpoint) == withCheckpoint)
            let rerun = try CLI.run(spec + ["--shard", "0/2", "--partial", part0, "--threads", "1", "--quiet", "--json"] + extra)
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let resumed = rerun.json["resumed_blocks"] as? Int ?? -1
            #expect(withCheckpoint ? resumed > 0 : resumed == 0, "resumed \(resumed) blocks")
            #expect(!FileManager.default.fileExists(atPath: checkpoint), "the checkpoint outlived its part")
            #expect(try CLI.run(spec + ["--shard", "1/2", "--partial", part1, "--quiet"]).status == 0)
            let merged = try CLI.run(["merge", "--json", part1, part0])
            let one = try CLI.run(spec + ["--json", "--quiet"])
            #expect(merged.status == 0, "\(merged.stderr)")
            #expect(Self.comparable(merged.stdout) == Self.comparable(one.stdout))
        }
    }

    @Test("Ctrl-C on a shard saves its blocks to its checkpoint, says so and exits 130")
    func interrupted() throws {
        let folder = try Self.folder("sigint")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let part = "\(folder)/p.rwb", checkpoint = "\(folder)/p.ckpt"
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["estimate", "gradient", "--vocab", "64", "--group", "6", "--advantage", "grpo", "--noise", "0.1",
                             "--prompts", "6e5", "--shard", "0/2", "--partial", part, "--checkpoint", checkpoint,
                             "--checkpoint-every", "0.05", "--threads", "2", "--quiet"]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline, !FileManager.default.fileExists(atPath: checkpoint) { usleep(10_000) }
        usleep(100_000)
        #expect(process.isRunning, "the shard finished before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("shard 0/2 interrupted after") && text.contains("saved to \(checkpoint)"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: part))
        #expect(FileManager.default.fileExists(atPath: checkpoint))
    }

    @Test("a rerun shard writes the same blocks; one already written by the same command is kept")
    func idempotent() throws {
        let spec = ["estimate", "sft", "--vocab", "64", "--positives", "1e5", "--block-size", "5000", "--seed", "3"]
        let folder = try Self.folder("again")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/p.rwb"
        var payloads: [Data] = []
        for threads in ["1", "2"] {
            try? FileManager.default.removeItem(atPath: path)
            let r = try CLI.run(spec + ["--shard", "1/3", "--partial", path, "--threads", threads, "--quiet", "--json"])
            #expect(r.status == 0 && r.json["reused"] as? Bool == false, "\(r.stderr)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            // The records follow the header; the header holds times that differ.
            let headerLength = Int(bytes[9..<17].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            payloads.append(bytes[(17 + headerLength)..<(bytes.count - 8)])
        }
        #expect(payloads[0] == payloads[1])
        #expect(payloads[0].count > 100)
        // Run again over the written part: kept, not recomputed; another command replaces it.
        let again = try CLI.run(spec + ["--shard", "1/3", "--partial", path, "--quiet", "--json"])
        #expect(again.json["reused"] as? Bool == true, "\(again.stdout)")
        let other = try CLI.run(spec.map { $0 == "3" ? "4" : $0 } + ["--shard", "1/3", "--partial", path, "--quiet", "--json"])
        #expect(other.json["reused"] as? Bool == false, "\(other.stdout)")
        // Progress and output options are not part of the command a part stores.
        let progress = "\(folder)/q.rwb"
        #expect(try CLI.run(spec + ["--shard", "0/1", "--partial", progress, "--progress", "--format", "json"]).status == 0)
        let merged = try CLI.run(["merge", "--json", progress])
        #expect(merged.status == 0, "\(merged.stderr)")
        // Partial and checkpoint on one file would lose the part.
        let same = try CLI.run(spec + ["--shard", "0/1", "--partial", progress, "--checkpoint", progress])
        #expect(same.status == 64 && same.stderr.contains("two different files"), "\(same.stderr)")
    }

    @Test("bad shard options are refused with one line")
    func badOptions() throws {
        let spec = ["estimate", "group", "--vocab", "64", "--group", "4", "--prompts", "1e5"]
        for (extra, pattern) in [
            (["--shard", "3/3", "--partial", "x.rwb"], "0 <= I < N"),
            (["--shard", "1-3", "--partial", "x.rwb"], "--shard takes I/N"),
            (["--shard", "0/3"], "--shard needs --partial"),
            (["--partial", "x.rwb"], "--partial goes with --shard"),
            (["--shard", "0/3", "--partial", "x.rwb", "--target-halfwidth", "0.01"], "give it to the merge"),
            (["--shard", "0/3", "--partial", "x.rwb", "--block-range", "5..5"], "A < B"),
        ] {
            let r = try CLI.run(spec + extra)
            #expect(r.status == 64, "\(extra): \(r.stderr)")
            #expect(r.stderr.contains(pattern), "\(extra): \(r.stderr)")
        }
        let none = try CLI.run(["merge"])
        #expect(none.status == 64 && none.stderr.contains("merge needs the parts"))
    }

    @Test("under taskset -c 0 the default run uses one thread and says why")
    func affinity() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
        process.arguments = ["-c", "0", CLI.binary.path, "estimate", "single", "--vocab", "64", "--rollouts", "1e5", "--json"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["threads"] as? Int == 1)
        #expect(json["threads_from"] as? String == "sched_getaffinity")
        let given = try CLI.run(["estimate", "single", "--vocab", "64", "--rollouts", "1e5", "--json", "--threads", "3"])
        #expect(given.json["threads_from"] as? String == "--threads")
    }
}
