import ArgumentParser
import Foundation
import RewardBits

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the error bars: coverage of the confidence intervals over many seeds.",
        subcommands: [CoverageCommand.self])
}

struct CoverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "For every channel and estimator, the fraction of 95% intervals that contain the exact value.",
        discussion: """
        Each row runs R replicates with distinct seeds and reports the fraction of intervals that \
        contain the exact value (for the plug-in row: its exact expectation), a Clopper-Pearson \
        interval on that fraction, and the mean and spread of z = (estimate - exact) / se. A row \
        passes when the fraction lies in 0.95 +- 3 sqrt(0.95 x 0.05 / R): [0.935, 0.965] at the full \
        tier's R = 2000. --quick runs R = 200 and skips the largest rare-success rows.

        Rare-success rows run three times: with the default Blaker interval and with \
        --interval clopper-pearson, whose coverage is at least 95% and is compared with its exact \
        value (a sum over the binomial count), and with --interval randomized (Stevens), whose \
        coverage is exactly 95%. The last column says whether any interval with bounds \
        nondecreasing in the count could land in the band at all: when one success is rarer than \
        1 in 30 runs, none can (coverage is either >= P(k = 0) or <= 1 - P(k = 0)).
        """)

    @Option(help: "Replicates per row (default: 2000, or 200 with --quick).")
    var replicates: Int?

    @Flag(help: "The fast tier: 200 replicates, no N = 1e7 rare-success rows.")
    var quick = false

    @Option(help: "Only rows whose name contains this text.")
    var rows: String?

    @Option(help: "Base random seed; each row and replicate derives its own.", transform: Count.parse)
    var seed: Count = Count(1)

    @Option(help: "Worker threads (replicates run in parallel, one thread each).")
    var threads: Int?

    @Flag(help: "Print JSON lines.")
    var json = false

    @Flag(help: "Print the listed rows as a markdown table (the default when stdout is not a terminal; a terminal gets a compact table).")
    var markdown = false

    @Option(help: ArgumentHelp("""
        Instead of the listed rows, draw N settings at random from the whole space (every channel \
        and estimator, V, K, T, priors, policies, noise, reward modes, sample counts from below one \
        expected rare event to 1e4) and run each over --replicates seeds (default 1000, or 200 with \
        --quick, whose replicates are also cheaper).
        """, valueName: "N"))
    var random: Int?

    @Option(name: .customLong("setting"), help: "With --random: run only the drawn setting with this index (e.g. to rerun one with more replicates).")
    var onlySetting: Int?

    @Option(name: .customLong("keep-files"), help: ArgumentHelp("With --random: write the random file: weights here and keep them, so a setting's command can be rerun by hand.", valueName: "folder"))
    var keepFiles: String?

    func run() throws {
        if let random {
            try runRandom(settings: random)
            return
        }
        let count = replicates ?? (quick ? 200 : 2000)
        guard count >= 10 else { throw RewardBitsError.invalidInput("--replicates must be at least 10 (got \(count))") }
        let workers = threads ?? Engine.defaultThreads
        guard workers >= 1 else { throw RewardBitsError.invalidInput("--threads must be at least 1") }
        let base = seed.value
        var selected = try Coverage.rows(quick: quick)
        if let rows { selected = selected.filter { $0.name.contains(rows) } }
        guard !selected.isEmpty else { throw RewardBitsError.invalidInput("no coverage row matches --rows '\(rows ?? "")'") }
        let compact = !json && !markdown && isatty(STDOUT_FILENO) != 0
        if compact {
            FileHandle.standardOutput.write(Data(String(format: "%-44@ %8@ %6@ %8@ %17@ %15@ %6@\n", "row" as NSString,
                                                        "N" as NSString, "reps" as NSString, "coverage" as NSString,
                                                        "95% CI" as NSString, "band" as NSString, "ok" as NSString).utf8))
        } else if !json {
            FileHandle.standardOutput.write(Data("""
                | row | N | replicates | coverage | 95% CI on coverage | band | mean z | sd z | in band | interval's exact coverage | band reachable by a count interval |
                |---|---|---|---|---|---|---|---|---|---|---|

                """.utf8))
        }
        var misses = 0, unreachable = 0
        for row in selected {
            let start = Date()
            let r = try Coverage.run(row, replicates: count, baseSeed: base, threads: workers)
            if !r.inBand {
                misses += 1
                if r.bandReachable == false { unreachable += 1 }
            }
            let line: String
            if json {
                line = r.json.serialized()
            } else if compact {
                line = String(format: "%-44@ %8@ %6d %8.4f  [%.4f, %.4f] [%.3f, %.3f] %6@",
                              String(r.row.prefix(44)) as NSString, Format.compact(Double(row.samples)) as NSString,
                              r.replicates, r.fraction, r.fractionLow, r.fractionHigh, r.band.lowerBound, r.band.upperBound,
                              (r.inBand ? "yes" : "NO") as NSString)
            } else {
                line = String(format: "| %@ | %@ | %d | %.4f | [%.4f, %.4f] | [%.4f, %.4f] | %@ | %@ | %@ | %@ | %@ |",
                             r.row, Format.compact(Double(row.samples)), r.replicates, r.fraction, r.fractionLow,
                             r.fractionHigh, r.band.lowerBound, r.band.upperBound,
                             r.meanZ.map { String(format: "%+.3f", $0) } ?? "n/a",
                             r.sdZ.map { String(format: "%.3f", $0) } ?? "n/a", r.inBand ? "yes" : "**no**",
                             r.exactCoverage.map { String(format: "%.4f (%@)", $0, r.matchesExactCoverage! ? "matches" : "**differs**") } ?? "",
                             r.bandReachable.map { $0 ? "yes" : "no" } ?? "")
            }
            // Unbuffered, so a long study shows each row as it finishes.
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            FileHandle.standardError.write(Data(String(format: "rewardbits: %@: %.1f s\n", r.row,
                                                       Date().timeIntervalSince(start)).utf8))
        }
        if misses > 0 {
            FileHandle.standardError.write(Data(
                "rewardbits: \(misses) row(s) outside the band, \(unreachable) of them where no count interval can reach it\n".utf8))
        }
    }
}

extension CoverageCommand {
    func runRandom(settings count: Int) throws {
        guard count >= 1 else { throw RewardBitsError.invalidInput("--random needs at least 1 setting (got \(count))") }
        let replicateCount = replicates ?? (quick ? 200 : 1000)
        guard replicateCount >= 10 else { throw RewardBitsError.invalidInput("--replicates must be at least 10 (got \(replicateCount))") }
        guard rows == nil else { throw RewardBitsError.invalidInput("--rows selects listed rows; it does not go with --random") }
        let workers = threads ?? Engine.defaultThreads
        guard workers >= 1 else { throw RewardBitsError.invalidInput("--threads must be at least 1") }
        let base = seed.value
        let limits: RandomCoverage.Limits = quick ? .fast : .full
        let folder = keepFiles ?? FileManager.default.temporaryDirectory.appendingPathComponent("rewardbits-coverage-\(getpid())").path
        defer { if keepFiles == nil { try? FileManager.default.removeItem(atPath: folder) } }
        var drawn = try RandomCoverage.settings(count: count, seed: base, limits: limits, folder: folder)
        if let onlySetting {
            guard drawn.indices.contains(onlySetting) else {
                throw RewardBitsError.invalidInput("--setting \(onlySetting) is not among the \(count) drawn settings (0 ... \(count - 1))")
            }
            drawn = [drawn[onlySetting]]
        }
        if !json {
            FileHandle.standardOutput.write(Data(RandomCoverageReport.tableHeader.utf8))
        }
        var outcomes: [RandomCoverage.Outcome] = []
        for setting in drawn {
            let outcome = try RandomCoverage.run(setting, replicates: replicateCount, baseSeed: base, threads: workers,
                                                 limits: limits)
            outcomes.append(outcome)
            let line = json ? outcome.json.serialized() : RandomCoverageReport.row(outcome)
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            FileHandle.standardError.write(Data(String(format: "rewardbits: setting %d of %d (%@): %.1f s\n", setting.index,
                                                       count, setting.channel, outcome.seconds).utf8))
        }
        if !json {
            FileHandle.standardOutput.write(Data(RandomCoverageReport.summary(outcomes).utf8))
        }
    }
}
