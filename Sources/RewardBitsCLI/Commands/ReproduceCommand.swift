import ArgumentParser
import Foundation
import RewardBits

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Regenerate the figures of J. Hernandez's post on RL vs. SFT bits (and more) with error bars, exact curves and the CSV behind each.",
        discussion: """
        Writes to --out (default ./figures): Fig. 5 (one binary reward vs V), Fig. 6 (a group of K \
        rollouts vs K), Fig. 7 (per-token rewards vs T, with noisy verifiers), an SFT figure (expert vs \
        filtered positives), and two figures beyond the post (Zipf policies; per-token, checkpoint, sum \
        and graded rewards). Each comes with NAME.csv (every plotted point: estimate, stderr, ci_low, \
        ci_high, exact, z, seed, sample counts), NAME.gp (the gnuplot script) and index.md.
        """)

    @Option(help: "Output folder.")
    var out: String = "figures"

    @Option(help: ArgumentHelp("Image format (default: png and svg).", valueName: "png|svg|pdf"))
    var format: FigureFormat?

    @Flag(help: "Fewer samples per point (a few seconds); still informative.")
    var quick = false

    @Option(help: "Random seed of the run; each point's own random seed is derived from it and written to the CSV.",
            transform: Count.parse)
    var seed: Count = Count(1)

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    func run() throws {
        var formats: [FigureFormat] = [.png, .svg]
        if let format { formats = [format] }
        let threadCount = threads ?? Engine.defaultThreads
        guard threadCount >= 1 else { throw RewardBitsError.invalidInput("--threads must be at least 1 (got \(threadCount))") }
        let quiet = self.quiet
        let options = Reproduce.Options(
            directory: URL(fileURLWithPath: out, isDirectory: true), formats: formats, quick: quick,
            seed: seed.value, threads: threadCount,
            log: { message in
                if !quiet { FileHandle.standardError.write(Data("rewardbits: \(message)\n".utf8)) }
            })
        let report = try Reproduce.run(options)
        if let note = report.note { FileHandle.standardError.write(Data("rewardbits: \(note)\n".utf8)) }
        print("wrote \(report.files.count) files to \(out)/ (see \(out)/index.md)")
    }
}
