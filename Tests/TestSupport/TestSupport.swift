import Foundation
import Testing

// Helpers every test target shares: exact references built without the
// library's formulas, the CLI runner, and the settings tests use.
@_exported import RewardBits
@_spi(Testing) import RewardBitsCore

/// Mutual information I(S; O) in bits, from the definition, over an explicit
/// joint distribution given as (s, observation, probability) triples.
/// Independent of every formula in the library: the enumeration checks use it.
public struct JointDistribution {
    public init() {}

    private var joint: [String: Double] = [:]
    private var marginalS: [Int: Double] = [:]
    private var marginalO: [String: Double] = [:]

    public mutating func add(answer s: Int, observation: [Int], probability p: Double) {
        guard p > 0 else { return }
        let key = observation.map(String.init).joined(separator: ",")
        joint["\(s)|\(key)", default: 0] += p
        marginalS[s, default: 0] += p
        marginalO[key, default: 0] += p
    }

    public var total: Double { marginalS.values.reduce(0, +) }

    public var mutualInformation: Double {
        var sum = 0.0
        for (key, p) in joint {
            let parts = key.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            let s = Int(parts[0])!
            let o = String(parts[1])
            sum += p * log2(p / (marginalS[s]! * marginalO[o]!))
        }
        return sum
    }
}

/// Calls `body` with every tuple in {0..<base}^length.
public func forEachTuple(base: Int, length: Int, _ body: ([Int]) -> Void) {
    var tuple = [Int](repeating: 0, count: length)
    while true {
        body(tuple)
        var i = length - 1
        while i >= 0 {
            tuple[i] += 1
            if tuple[i] < base { break }
            tuple[i] = 0
            i -= 1
        }
        if i < 0 { return }
    }
}

/// Asserts that an estimate lies within `sigmas` standard errors of `exact`.
/// A zero standard error demands agreement to rounding.
public func expectNear(_ estimate: Estimate, _ exact: Double, sigmas: Double = 5,
                _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    if estimate.method == .unseenClasses {
        // Every sample fell in one class: no standard error, the interval
        // must cover instead.
        #expect(estimate.low - 1e-12 * max(1, abs(exact)) <= exact && exact <= estimate.high + 1e-12 * max(1, abs(exact)), "\(comment) [\(estimate.low), \(estimate.high)] misses \(exact)",
                sourceLocation: sourceLocation)
        return
    }
    // Rounding of the exact value and of the estimate's sums: 1e-12 relative.
    let tolerance = max(sigmas * estimate.standardError, 1e-12 * max(1, abs(exact)))
    #expect(abs(estimate.value - exact) <= tolerance,
            "\(comment) estimate \(estimate.value) vs exact \(exact): |diff| = \(abs(estimate.value - exact)), se = \(estimate.standardError)",
            sourceLocation: sourceLocation)
}

/// Settings for in-process runs: fixed seed, two threads, no progress line.
public func testSettings(seed: UInt64 = 12345, threads: Int = 2, generator: RandomGenerator = .philox,
                  blockSize: UInt64? = nil) -> RunSettings {
    RunSettings(seed: seed, threads: threads, generator: generator, confidence: 0.95,
                blockSize: blockSize, showProgress: false)
}

/// The built `rewardbits` binary next to the test bundle.
public enum CLI {
    public static var binary: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // swift-testing may run from inside the .xctest bundle directory.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("rewardbits")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/release/rewardbits")
    }

    public struct Result {
        public var status: Int32
        public var signaled: Bool
        public var stdout: String
        public var stderr: String

        /// The stdout parsed as one JSON object.
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    /// Runs the CLI; `environment` entries are added to this process's.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      signaled: process.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// The raw JSON text of a run with the timing fields cut out, so two runs
/// can be compared byte for byte (parsing would round the numbers).
public func numbersWithoutTiming(_ text: String) -> String {
    var result = text.trimmingCharacters(in: .whitespacesAndNewlines)
    for field in ChannelResult.timingFields {
        // Top-level scalar or flat object values.
        let pattern = "\"\(field)\":(\\{[^{}]*\\}|[^,{}]*),?"
        result = result.replacingOccurrences(of: pattern, with: "", options: .regularExpression)
    }
    return result
}

/// The raw text of a top-level numeric JSON field, read back exactly.
public func rawNumber(_ field: String, in text: String) -> Double? {
    guard let range = text.range(of: "\"\(field)\":") else { return nil }
    let rest = text[range.upperBound...]
    let number = rest.prefix { !",}".contains($0) }
    return Double(number)
}

/// A fresh path in the temporary folder, unique to this process and call.
public func temporaryPath(_ label: String) -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("rb-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))").path
}

extension CLI {
    public struct KillReport {
        /// The second checkpoint write was in progress (half written) when
        /// the process was killed.
        public var stalledWrite: Bool
        public var checkpointBefore: Data?
        public var checkpointAfter: Data?
        /// The half-written temporary the killed process left.
        public var temporary: String
    }

    /// Runs `arguments` (which name `--checkpoint PATH`) with checkpoints
    /// every 0.05 s and the fault hook that stalls the second write half-way
    /// (REWARDBITS_FAULT_STALL_CHECKPOINT=2), then kills the process with
    /// SIGKILL in the middle of that write.
    public static func killDuringCheckpointWrite(_ arguments: [String]) throws -> KillReport {
        let index = try #require(arguments.firstIndex(of: "--checkpoint"))
        let path = arguments[index + 1]
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + ["--checkpoint-every", "0.05"]
        var environment = ProcessInfo.processInfo.environment
        environment["REWARDBITS_FAULT_STALL_CHECKPOINT"] = "2"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(process.processIdentifier)").path
        func size(_ p: String) -> Int? { (try? FileManager.default.attributesOfItem(atPath: p))?[.size] as? Int }
        // The checkpoint exists once the first write is done; a temporary
        // beside it after that is the second write, which stalls for an hour.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if size(path) != nil, let s = size(temporary), s > 0 { break }
            usleep(5_000)
        }
        usleep(100_000)
        let stalled = process.isRunning && size(path) != nil && (size(temporary) ?? 0) > 0
        let before = try? Data(contentsOf: url)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let after = try? Data(contentsOf: url)
        return KillReport(stalledWrite: stalled, checkpointBefore: before, checkpointAfter: after, temporary: temporary)
    }
}

extension InstructionSet {
    /// This copy's kernel internals (`KernelTestHooks`).
    @_spi(Testing) public var testHooks: any KernelTestHooks.Type { kernels(as: (any KernelTestHooks.Type).self) }
}
