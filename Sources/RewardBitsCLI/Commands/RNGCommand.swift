import ArgumentParser
import Foundation
import RewardBits

struct RNGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rng",
        abstract: "Inspect the random streams.",
        subcommands: [DumpCommand.self])
}

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write the raw 32-bit stream to stdout, block after block, for statistical test suites.",
        discussion: """
        Writes --words-per-block little-endian 32-bit words of the stream of (seed, block 0), then \
        of block 1, and so on, exactly as the engine's kernels read them, so the switches between \
        per-block streams are part of what is tested. Runs until stdout closes (or --count words).

          rewardbits rng dump --rng philox --seed 1 | dieharder -a -g 200
        """)

    @Option(help: ArgumentHelp("philox or gsl:NAME.", valueName: "philox|gsl:NAME"), transform: Parsed.generator)
    var rng: RandomGenerator = .philox

    @Option(help: "Random seed of the run.", transform: Count.parse)
    var seed: Count = Count(1)

    @Option(name: .customLong("words-per-block"), help: "Words taken from each block's stream before switching (a multiple of 1024).",
            transform: Count.parse)
    var wordsPerBlock: Count = Count(65536)

    @Option(help: "Stop after this many words (default: run until stdout closes).", transform: Count.parse)
    var count: Count?

    func run() throws {
        let generator = rng
        let seedValue = seed.value
        let perBlock = try wordsPerBlock.int(option: "--words-per-block")
        guard perBlock >= 1024, perBlock % 1024 == 0, perBlock <= 1 << 24 else {
            throw RewardBitsError.invalidInput(
                "--words-per-block must be a multiple of 1024 between 1024 and 2^24 (got \(perBlock))")
        }
        guard isatty(STDOUT_FILENO) == 0 else {
            throw RewardBitsError.invalidInput(
                "rng dump writes raw binary words: send them to a file or a program, e.g. rewardbits rng dump --count 1e6 > words.bin, or | dieharder -a -g 200")
        }
        let limit = count?.value ?? UInt64.max
        signal(SIGPIPE, SIG_IGN)
        let buffer = UnsafeMutablePointer<UInt32>.allocate(capacity: perBlock)
        defer { buffer.deallocate() }
        let kernels = InstructionSet.active.kernels
        var written: UInt64 = 0
        var block: UInt64 = 0
        while written < limit {
            // A fresh stream per block, exactly as the engine opens them.
            let key = StreamKey(seed: seedValue, block: block)
            switch generator {
            case .philox:
                kernels.fillPhilox(buffer, count: perBlock, stream: key)
            case .gsl(let type):
                var stream = GSLStream(type: type, key: key)
                stream.fill(buffer, count: perBlock)
            }
            let take = Int(min(UInt64(perBlock), limit - written))
            guard Self.write(buffer, count: take) else { return }
            written += UInt64(take)
            block += 1
        }
    }

    /// Writes words to stdout; false once the reader has gone.
    static func write(_ words: UnsafePointer<UInt32>, count: Int) -> Bool {
        var bytes = UnsafeRawPointer(words)
        var remaining = count * 4
        while remaining > 0 {
            let n = Foundation.write(STDOUT_FILENO, bytes, remaining)
            if n <= 0 { return false }
            bytes += n
            remaining -= n
        }
        return true
    }
}
