import ArgumentParser
import Foundation
import RewardBits

/// `rewardbits merge PARTS...`: folds shards' blocks into what one process
/// prints.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Fold the parts written by --shard I/N into the result one process would print.",
        discussion: """
        Each part holds its blocks' statistics, one record per block. merge checks that the parts \
        come from one command and seed and cover the run's blocks once each, then folds every block \
        in block order through the same engine: the output is what `rewardbits estimate` (or \
        `sweep`) prints for the command in one process, bit for bit, for any number of shards, \
        threads per shard and order of the files. Timing fields are the parts' sums; \
        params.merged_parts counts the parts.

        With --target-halfwidth H, the stop rule runs block by block as in one process; when the \
        parts end before the interval is that narrow, merge says how many more blocks to run \
        (a second array with --block-range A..B, merged with the first).

        Examples:
          rewardbits estimate group --vocab 1024 --group 32 --prompts 1e9 --shard 3/16 --partial part-3.rwb
          rewardbits merge part-*.rwb --json
          rewardbits merge --report-missing part-*.rwb
        """)

    @Argument(help: ArgumentHelp("Parts written by --shard I/N --partial FILE.", valueName: "part"))
    var parts: [String] = []

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Print a CSV header and one row (a sweep: one row per value).")
    var csv = false

    @Option(help: "Confidence level of the interval, strictly between 0 and 1.")
    var confidence: Double?

    @Option(help: ArgumentHelp("Interval for estimates affine in a binomial count.", valueName: "blaker|clopper-pearson|randomized"))
    var interval: String?

    @Option(name: .customLong("target-halfwidth"),
            help: "Apply the stop rule: fold blocks until the CI half-width (bits) is at most this, as one process would.")
    var targetHalfWidth: Double?

    @Option(name: .customLong("min-samples"), help: "With --target-halfwidth: never stop with fewer samples.")
    var minSamples: String?

    @Flag(name: .customLong("report-missing"),
          help: "Print the shards still to run, one I/N per line (nothing when none is missing), and merge nothing.")
    var reportMissing = false

    @Option(help: "Worker threads for the fold (never changes the result).")
    var threads: Int?

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    func run() throws {
        guard !parts.isEmpty else {
            throw RewardBitsError.invalidInput("merge needs the parts to fold, e.g. rewardbits merge part-*.rwb")
        }
        if let interval, CountInterval(rawValue: interval) == nil {
            throw RewardBitsError.invalidInput(
                "--interval takes \(CountInterval.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(interval)')")
        }
        guard !(json && csv) else { throw RewardBitsError.invalidInput("choose one of --json and --csv") }
        let files = try parts.map { path in (path, try PartialFile.read(path, label: "part \(path)")) }
        let merged = try PartSet(files)
        if reportMissing {
            for line in merged.missingShards() { print(line) }
            return
        }
        try merged.checkCoverage(prefixAllowed: targetHalfWidth != nil)
        // The parts' own interval level and rule, unless the merge is given others.
        var words = OptionWords.removing(
            flags: ["--json", "--csv", "--quiet"],
            valued: Set([confidence != nil ? "--confidence" : nil, interval != nil ? "--interval" : nil].compactMap { $0 }),
            from: merged.command)
        if json { words.append("--json") }
        if csv { words.append("--csv") }
        if quiet || isatty(STDERR_FILENO) == 0 { words.append("--quiet") }
        if let confidence { words += ["--confidence", "\(confidence)"] }
        if let interval { words += ["--interval", interval] }
        if let threads { words += ["--threads", "\(threads)"] }
        if let targetHalfWidth { words += ["--target-halfwidth", "\(targetHalfWidth)"] }
        if let minSamples { words += ["--min-samples", minSamples] }
        let session = PartialRun(replaying: merged.segments)
        let partCount = files.count
        let seconds = files.reduce(0) { $0 + $1.1.seconds }, cpuSeconds = files.reduce(0) { $0 + $1.1.cpuSeconds }
        let adjust = { (result: inout ChannelResult) in
            result.parameters.append(("merged_parts", .integer(Int64(partCount))))
            result.seconds = seconds
            result.cpuSeconds = cpuSeconds
        }
        let parsed: ParsableCommand
        do {
            parsed = try RewardBitsCommand.parseAsRoot(words)
        } catch {
            throw RewardBitsError.corruptCheckpoint(
                "the parts' command no longer parses (\(RewardBitsCommand.message(for: error).split(whereSeparator: \.isNewline).first ?? "")): \(merged.spec)")
        }
        if let sweep = parsed as? SweepCommand {
            try sweep.run(replaying: session, adjust: adjust)
        } else if let estimate = parsed as? any EstimateSubcommand {
            var settings = try estimate.common.settings()
            settings.partialRun = session
            var result = try estimate.channel().run(settings: settings)
            adjust(&result)
            estimate.common.print(result)
        } else {
            throw RewardBitsError.corruptCheckpoint("the parts' command is neither an estimate nor a sweep: \(merged.spec)")
        }
        for report in session.reports where report.targetReached == false {
            FileHandle.standardError.write(Data((Self.advice(report, merged: merged) + "\n").utf8))
        }
    }

    /// What to run next when the parts end before the stop rule holds.
    static func advice(_ report: ReplayReport, merged: PartSet) -> String {
        let width = report.halfWidth.map { String(format: "%.3g", $0) } ?? "unknown"
        let target = report.targetHalfWidth.map { String(format: "%.3g", $0) } ?? "?"
        if let halfWidth = report.halfWidth, let goal = report.targetHalfWidth, halfWidth <= goal {
            // Narrow enough, but the rule also waits for --min-samples (and, for
            // rare-event intervals, 50 rare events).
            let next = report.moreBlocks.map { "; run the shards again with --block-range \(report.coveredBlocks)..\(report.coveredBlocks + $0) --shard I/\(merged.shardCount) and merge all the parts" } ?? ""
            return "rewardbits: the half-width is \(width) bits, under \(target), but after \(report.coveredBlocks) of \(report.totalBlocks) blocks the stop rule still waits for --min-samples samples or, for rare events, 50 of them\(next)"
        }
        guard let more = report.moreBlocks else {
            return "rewardbits: the half-width is \(width) bits, not yet \(target), after all \(report.totalBlocks) blocks of the run: shard a run with a larger sample count"
        }
        let next = "\(report.coveredBlocks)..\(report.coveredBlocks + more)"
        return "rewardbits: the half-width is \(width) bits, not yet \(target), after \(report.coveredBlocks) of \(report.totalBlocks) blocks; about \(more) more blocks needed: run the shards again with --block-range \(next) --shard I/\(merged.shardCount) and merge all the parts"
    }
}

/// Parts checked to belong to one run, with their blocks in order.
struct PartSet {
    let files: [(path: String, part: PartialFile)]

    init(_ files: [(String, PartialFile)]) throws {
        self.files = files.map { (path: $0.0, part: $0.1) }
        let (firstPath, first) = files[0]
        for (path, part) in files {
            guard part.complete else {
                throw RewardBitsError.corruptCheckpoint(
                    "part \(path) is an unfinished shard's checkpoint: run shard \(part.shard) again to finish it")
            }
            if part.seed != first.seed {
                throw RewardBitsError.corruptCheckpoint(
                    "part \(path) belongs to another run: seed \(part.seed) there, \(first.seed) in part \(firstPath)")
            }
            if part.generator != first.generator {
                throw RewardBitsError.corruptCheckpoint(
                    "part \(path) belongs to another run: --rng \(part.generator) there, \(first.generator) in part \(firstPath)")
            }
            if part.specHash != first.specHash || part.segments.count != first.segments.count {
                throw RewardBitsError.corruptCheckpoint(
                    "part \(path) belongs to another run: \(part.spec) there, \(first.spec) in part \(firstPath)")
            }
        }
        // Two parts of the same shard, or whose blocks meet, would count blocks twice.
        for i in files.indices {
            for j in files.indices where j > i {
                let (a, b) = (files[i], files[j])
                if a.1.shard == b.1.shard {
                    throw RewardBitsError.corruptCheckpoint(
                        "parts \(a.0) and \(b.0) are both shard \(a.1.shard)\(Self.window(a.1)); remove one")
                }
                for (s, t) in zip(a.1.segments, b.1.segments) where s.blocks.overlaps(t.blocks) {
                    throw RewardBitsError.corruptCheckpoint(
                        "parts \(a.0) (blocks \(Self.text(s.blocks))) and \(b.0) (blocks \(Self.text(t.blocks))) overlap: keep parts of one split, or split the next range with --block-range")
                }
            }
        }
    }

    var command: [String] { files[0].part.command }
    var spec: String { files[0].part.spec }
    var shardCount: UInt64 { files.map(\.part.shard.count).max() ?? 1 }

    static func text(_ blocks: Range<UInt64>) -> String {
        blocks.count == 1 ? "\(blocks.lowerBound)" : "\(blocks.lowerBound) to \(blocks.upperBound - 1)"
    }

    static func window(_ part: PartialFile) -> String {
        part.shard.window.map { " of --block-range \($0.lowerBound)..\($0.upperBound)" } ?? ""
    }

    /// Each run's parts in block order.
    private func sorted(_ segment: Int) -> [(path: String, blocks: BlockSegment)] {
        files.map { (path: $0.path, blocks: $0.part.segments[segment]) }
            .filter { !$0.blocks.blocks.isEmpty }
            .sorted { $0.blocks.blocks.lowerBound < $1.blocks.blocks.lowerBound }
    }

    /// Blocks from 0 that the parts hold without a hole, per run.
    private func coveredPrefix(_ segment: Int) -> UInt64 {
        var end: UInt64 = 0
        for part in sorted(segment) where part.blocks.blocks.lowerBound == end { end = part.blocks.blocks.upperBound }
        return end
    }

    /// Refuses holes: every block of each run (with a stop rule, every block
    /// up to the last part) must be in a part.
    func checkCoverage(prefixAllowed: Bool) throws {
        for segment in files[0].part.segments.indices {
            let total = files[0].part.segments[segment].blockCount
            let prefix = coveredPrefix(segment)
            let last = sorted(segment).last?.blocks.blocks.upperBound ?? 0
            if prefix < total, prefix == last, prefix > 0, !prefixAllowed {
                throw RewardBitsError.corruptCheckpoint(
                    "the parts end at block \(prefix) of \(total): merge them with --target-halfwidth H (a stop rule may end there), or run the shards of --block-range \(prefix)..\(total) and merge all the parts")
            }
            if prefix < total && !(prefixAllowed && prefix == last && prefix > 0) {
                let nextStart = sorted(segment).map(\.blocks.blocks.lowerBound).first { $0 > prefix } ?? total
                let run = files[0].part.segments.count > 1 ? " of sweep value \(segment + 1)" : ""
                throw RewardBitsError.corruptCheckpoint(
                    "blocks \(Self.text(prefix..<nextStart))\(run) are in no part (of \(total) blocks): a shard is missing; rewardbits merge --report-missing PARTS... lists it")
            }
        }
    }

    /// The shards of each split seen whose blocks no part holds, as "I/N"
    /// (with " --block-range A..B" for a split of a range).
    func missingShards() -> [String] {
        var splits: [(UInt64, Range<UInt64>?)] = []
        for (_, part) in files where !splits.contains(where: { $0 == (part.shard.count, part.shard.window) }) {
            splits.append((part.shard.count, part.shard.window))
        }
        var lines: [String] = []
        for (count, window) in splits {
            for index in 0..<count {
                let shard = try! ShardSelection(index: index, count: count, window: window)
                let missing = files[0].part.segments.indices.contains { segment in
                    let blocks = shard.blocks(of: files[0].part.segments[segment].blockCount)
                    guard !blocks.isEmpty else { return false }
                    let holders = files.map { $0.part.segments[segment].blocks }.filter { $0.overlaps(blocks) }
                    var cursor = blocks.lowerBound
                    for range in holders.sorted(by: { $0.lowerBound < $1.lowerBound }) where range.lowerBound <= cursor {
                        cursor = max(cursor, range.upperBound)
                    }
                    return cursor < blocks.upperBound
                }
                if missing {
                    lines.append("\(index)/\(count)" + (window.map { " --block-range \($0.lowerBound)..\($0.upperBound)" } ?? ""))
                }
            }
        }
        return lines
    }

    /// One segment per run, its records from block 0 in order.
    var segments: [BlockSegment] {
        files[0].part.segments.indices.map { segment in
            var merged = files[0].part.segments[segment]
            let prefix = coveredPrefix(segment)
            merged.blocks = 0..<prefix
            merged.records = sorted(segment).filter { $0.blocks.blocks.upperBound <= prefix }.flatMap(\.blocks.records)
            return merged
        }
    }
}
