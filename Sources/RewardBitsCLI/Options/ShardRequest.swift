import Foundation
import RewardBits

/// A shard asked for on the command line: which blocks, where they go, and
/// where an unfinished attempt saves itself.
struct ShardRequest {
    let shard: ShardSelection
    let partial: String
    let checkpoint: String?
    let checkpointEvery: Double
    let json: Bool

    /// Options a part does not store: they never change its blocks (the
    /// shard's own, threads, output format, progress, checkpoint). The
    /// interval's level and rule are kept (the merge prints them unless it is
    /// given its own).
    static let unstoredFlags: Set<String> = ["--json", "--csv", "--quiet"]
    static let unstoredValued: Set<String> = [
        "--shard", "--partial", "--block-range", "--threads", "--checkpoint", "--checkpoint-every", "--format",
    ]

    /// The words after `rewardbits` that describe the run, for the part's
    /// header and for `merge` to rebuild it.
    static func storedCommand(_ arguments: [String]) -> [String] {
        OptionWords.removing(flags: unstoredFlags, valued: unstoredValued,
                             optionalValues: ["--progress": ["text", "json"]], from: arguments)
    }

    /// Runs `body` (which runs the channel or the sweep's channels with the
    /// settings it is given) as this shard, then writes the part atomically
    /// and prints what it wrote. A checkpoint left by a killed attempt of
    /// the same shard is continued, and removed once the part is written.
    func run(command: [String], settings: RunSettings, body: (RunSettings) throws -> Void) throws {
        if let checkpoint, URL(fileURLWithPath: checkpoint).standardizedFileURL == URL(fileURLWithPath: partial).standardizedFileURL {
            throw RewardBitsError.invalidInput("--checkpoint and --partial need two different files (both are \(partial))")
        }
        // The same shard of the same command already written: its blocks would
        // be the same, so it is kept (a requeued or resubmitted task is cheap).
        if let done = try? PartialFile.read(partial, label: "part \(partial)"), done.complete, done.command == command,
           done.seed == settings.seed, done.generator == settings.generator.description, done.shard == shard {
            report(done, settings: settings, resumed: done.segments.reduce(0) { $0 + $1.records.count }, reused: true)
            return
        }
        try AtomicFile.checkWritable(partial, option: nil)
        var resume: [BlockSegment] = []
        if let checkpoint {
            try AtomicFile.checkWritable(checkpoint, option: .checkpoint)
            if FileManager.default.fileExists(atPath: checkpoint) {
                let saved = try PartialFile.read(checkpoint, label: "--checkpoint \(checkpoint)")
                guard saved.command == command, saved.seed == settings.seed, saved.shard == shard else {
                    throw RewardBitsError.corruptCheckpoint(
                        "--checkpoint \(checkpoint) belongs to another shard or run (\(saved.spec) --shard \(saved.shard)); use another path or delete it")
                }
                resume = saved.segments
            }
        }
        let session = PartialRun(computing: shard, resume: resume)
        let shard = self.shard
        let header: @Sendable (Bool, Double, Double, [BlockSegment]) -> PartialFile = { (complete: Bool, seconds: Double, cpu: Double, segments: [BlockSegment]) in
            PartialFile(command: command, seed: settings.seed, generator: settings.generator.description, shard: shard,
                        complete: complete, threads: settings.threads, seconds: seconds, cpuSeconds: cpu, segments: segments)
        }
        if let checkpoint {
            session.saveInterval = checkpointEvery
            session.save = { segments in try header(false, 0, 0, segments).write(to: checkpoint, option: .checkpoint) }
        }
        var settings = settings
        settings.partialRun = session
        let clock = Date(), cpuStart = ProcessClock.cpuSeconds()
        do {
            try body(settings)
        } catch is ShardComputed {}
        let part = header(true, Date().timeIntervalSince(clock), ProcessClock.cpuSeconds() - cpuStart, session.segments)
        try part.write(to: partial, option: nil)
        if let checkpoint { unlink(checkpoint) }
        report(part, settings: settings, resumed: session.resumedBlocks, reused: false)
    }

    /// The shard's summary: one line, or one JSON object with --json.
    private func report(_ part: PartialFile, settings: RunSettings, resumed resumedBlocks: Int, reused: Bool) {
        let blocks = part.segments.reduce(0) { $0 + $1.records.count }
        let samples = part.segments.reduce(UInt64(0)) { $0 + $1.records.reduce(0) { $0 + $1.samples } }
        let total = part.segments.reduce(UInt64(0)) { $0 + $1.blockCount }
        if json {
            print(JSONValue.object([
                ("partial", .string(partial)), ("shard", .string(shard.description)),
                ("spec_hash", .string(part.specHash)), ("runs", .integer(Int64(part.segments.count))),
                ("blocks", .array(part.segments.map { .array([.unsigned($0.blocks.lowerBound), .unsigned($0.blocks.upperBound)]) })),
                ("total_blocks", .unsigned(total)), ("resumed_blocks", .integer(Int64(resumedBlocks))),
                ("reused", .bool(reused)),
                ("samples", .unsigned(samples)),
                ("threads", .integer(Int64(settings.threads))), ("threads_from", .string(settings.threadsFrom)),
                ("seconds", .number(part.seconds)), ("cpu_seconds", .number(part.cpuSeconds)),
                ("version", RewardBitsVersion.json),
            ]).serialized())
        } else {
            let ranges = part.segments.map { "\($0.blocks.lowerBound)..\($0.blocks.upperBound)" }.joined(separator: ", ")
            let resumed = reused ? " (already written by the same command; kept)"
                : resumedBlocks > 0 ? " (\(resumedBlocks) from --checkpoint)" : ""
            print("shard \(shard): \(blocks) of \(total) blocks (\(ranges.isEmpty ? "none" : ranges))\(resumed), \(samples) samples in \(String(format: "%.3f", part.seconds)) s -> \(partial)")
        }
    }
}

/// Command lines as words: options taken out of them.
enum OptionWords {
    /// `words` without the options named: `flags` alone, `valued` with their
    /// value (`--name value` or `--name=value`), and `optionalValues` with a
    /// following word only when it is one of the option's values.
    static func removing(flags: Set<String>, valued: Set<String>, optionalValues: [String: Set<String>] = [:],
                         from words: [String]) -> [String] {
        var kept: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            if flags.contains(name) { continue }
            if valued.contains(name) {
                if !word.contains("=") { index += 1 }
                continue
            }
            if let values = optionalValues[name] {
                if !word.contains("="), index < words.count, values.contains(words[index]) { index += 1 }
                continue
            }
            kept.append(word)
        }
        return kept
    }
}
