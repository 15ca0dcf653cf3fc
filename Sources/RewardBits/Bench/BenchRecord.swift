import Dispatch
import Foundation

/// One measured run of a workload: what the history file and baselines hold.
public struct BenchRecord: Sendable {
    public var date: String
    public var commit: String
    public var build: String
    public var instructionSet: String
    public var cpuModel: String
    public var cores: Int
    public var workload: String
    public var scale: Double
    public var threads: Int
    public var unit: String
    public var perSecond: Double
    public var perCPUSecond: Double
    public var seconds: Double
    public var cpuSeconds: Double
    public var estimate: Double
    public var ciLow: Double
    public var ciHigh: Double
    public var exact: Double?
    /// The machine's speed at the time, from `BenchRunner.calibrate()`
    /// (operations per second); nil in older records.
    public var calibration: Double?

    public var json: JSONValue {
        .object([
            ("date", .string(date)), ("commit", .string(commit)), ("build", .string(build)),
            ("instruction_set", .string(instructionSet)), ("cpu", .string(cpuModel)), ("cores", .integer(Int64(cores))),
            ("workload", .string(workload)), ("scale", .number(scale)), ("threads", .integer(Int64(threads))),
            ("unit", .string(unit)), ("throughput", .number(perSecond)), ("throughput_per_cpu_second", .number(perCPUSecond)),
            ("seconds", .number(seconds)), ("cpu_seconds", .number(cpuSeconds)),
            ("estimate", .number(estimate)), ("ci_low", .number(ciLow)), ("ci_high", .number(ciHigh)),
            ("exact", .optional(exact)), ("calibration", .optional(calibration)),
            // Estimates are comparable across rows only within one stream format.
            ("stream_format", .integer(Int64(StreamFormat.version))),
            ("version", RewardBitsVersion.json),
        ])
    }

    public init(date: String, commit: String, build: String, instructionSet: String, cpuModel: String, cores: Int,
                workload: String, scale: Double, threads: Int, unit: String, perSecond: Double, perCPUSecond: Double,
                seconds: Double, cpuSeconds: Double, estimate: Double, ciLow: Double, ciHigh: Double, exact: Double?) {
        self.date = date
        self.commit = commit
        self.build = build
        self.instructionSet = instructionSet
        self.cpuModel = cpuModel
        self.cores = cores
        self.workload = workload
        self.scale = scale
        self.threads = threads
        self.unit = unit
        self.perSecond = perSecond
        self.perCPUSecond = perCPUSecond
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.estimate = estimate
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.exact = exact
    }

    /// Reads one JSON line written by `json`.
    public init?(line: Substring) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let workload = object["workload"] as? String, let threads = object["threads"] as? Int,
              let perSecond = object["throughput"] as? Double else { return nil }
        self.init(date: object["date"] as? String ?? "", commit: object["commit"] as? String ?? "",
                  build: object["build"] as? String ?? "", instructionSet: object["instruction_set"] as? String ?? "",
                  cpuModel: object["cpu"] as? String ?? "", cores: object["cores"] as? Int ?? 0, workload: workload,
                  scale: object["scale"] as? Double ?? 1, threads: threads, unit: object["unit"] as? String ?? "",
                  perSecond: perSecond, perCPUSecond: object["throughput_per_cpu_second"] as? Double ?? 0,
                  seconds: object["seconds"] as? Double ?? 0, cpuSeconds: object["cpu_seconds"] as? Double ?? 0,
                  estimate: object["estimate"] as? Double ?? 0, ciLow: object["ci_low"] as? Double ?? 0,
                  ciHigh: object["ci_high"] as? Double ?? 0, exact: object["exact"] as? Double)
        calibration = object["calibration"] as? Double
    }

    /// Records of a JSON-lines file (unreadable lines are skipped).
    public static func read(_ path: String) throws -> [BenchRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RewardBitsError.unreadableInput("cannot read \(path)")
        }
        let records = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { BenchRecord(line: $0) }
        guard !records.isEmpty else {
            throw RewardBitsError.unreadableInput("\(path) holds no benchmark records (JSON lines written by rewardbits bench --write-baseline)")
        }
        return records
    }
}

/// Facts about the machine and the build, for the history.
public enum BenchEnvironment {
    /// The model name with the CPU family, model and stepping: VMs often
    /// report only "AMD EPYC", which does not tell Zen 4 (family 25) from
    /// Zen 5 (family 26), and their speeds differ by more than half.
    public static var cpuModel: String {
        let field = CPUInfo.field
        guard let name = field("model name") else { return "unknown" }
        guard let family = field("cpu family"), let model = field("model"), let stepping = field("stepping") else { return name }
        return "\(name) (family \(family), model \(model), stepping \(stepping))"
    }

    /// The commit of the working tree (with "+dirty" when it has changes
    /// outside bench-results/, so that recording twice in a row does not
    /// mark the second run).
    public static var commit: String {
        func git(_ arguments: [String]) -> String? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let head = git(["rev-parse", "--short", "HEAD"]) else { return "unknown" }
        let dirty = (git(["status", "--porcelain", "--untracked-files=no", "--", ":/", ":(top,exclude)bench-results"]) ?? "").isEmpty ? "" : "+dirty"
        return head + dirty
    }

    /// Peak resident memory of this process so far, in MiB (VmHWM).
    public static var peakMemoryMiB: Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        let kib = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        return kib / 1024
    }
}

/// Runs workloads and compares them with a baseline.
public enum BenchRunner {
    /// Runs `workload` at each thread count, keeping the fastest of
    /// `repeats` runs (machines are shared; the best run is the least
    /// disturbed one).
    public static func measure(_ workload: Workload, threads: Int, scale: Double, repeats: Int,
                               instructionSet: InstructionSet, build: String) throws -> BenchRecord {
        var best: ChannelResult?
        for _ in 0..<max(1, repeats) {
            var settings = RunSettings(seed: 1, threads: threads, confidence: 0.95)
            settings.instructionSet = instructionSet
            let result = try workload.run(scale: scale, settings: settings)
            if best == nil || result.unitsPerSecond > best!.unitsPerSecond { best = result }
        }
        let r = best!
        return BenchRecord(
            date: ISO8601DateFormatter().string(from: Date()), commit: BenchEnvironment.commit, build: build,
            instructionSet: instructionSet.rawValue, cpuModel: BenchEnvironment.cpuModel,
            cores: ProcessInfo.processInfo.activeProcessorCount, workload: workload.name, scale: scale, threads: threads,
            unit: r.throughputUnit, perSecond: r.unitsPerSecond, perCPUSecond: r.unitsPerCPUSecond, seconds: r.seconds,
            cpuSeconds: r.cpuSeconds, estimate: r.estimate.value, ciLow: r.estimate.low, ciHigh: r.estimate.high,
            exact: r.exact)
    }

    public enum Verdict: Sendable, Equatable {
        case regression, improvement, unchanged
    }

    /// A fixed scalar loop that involves none of RewardBits' code, timed
    /// best of three: operations per second. Shared machines speed up and
    /// slow down as a whole; comparing each workload's rate relative to this
    /// one cancels that drift (a slower Philox or kernel still shows).
    public static func calibrate() -> Double {
        var best = 0.0
        for _ in 0..<3 {
            let start = DispatchTime.now()
            var x: UInt64 = 0x9E37_79B9_7F4A_7C15
            var acc: UInt64 = 0
            let n = 50_000_000
            for i in 0..<n {
                x ^= x << 13
                x ^= x >> 7
                x ^= x << 17
                acc &+= x &* UInt64(truncatingIfNeeded: i)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            if acc == 42 { print("") }  // keep the loop
            best = max(best, Double(n) / seconds)
        }
        return best
    }

    /// Each record against the baseline record of the same workload,
    /// threads, scale and instruction set, from the same CPU model when the
    /// baseline has one (a baseline file may hold rows of several machine
    /// kinds), else the last such row of any CPU: a regression when
    /// throughput fell by more than `threshold` (a fraction), an improvement
    /// when it rose by more.
    public static func compare(_ records: [BenchRecord], baseline: [BenchRecord], threshold: Double)
        -> [(BenchRecord, BenchRecord?, Double?, Verdict)]
    {
        return records.map { record in
            let candidates = baseline.filter {
                $0.workload == record.workload && $0.threads == record.threads && $0.scale == record.scale
                    && $0.instructionSet == record.instructionSet
            }
            guard let reference = candidates.last(where: { $0.cpuModel == record.cpuModel }) ?? candidates.last
            else { return (record, nil, nil, .unchanged) }
            var change = record.perSecond / reference.perSecond - 1
            if let now = record.calibration, let then = reference.calibration {
                change = (record.perSecond / now) / (reference.perSecond / then) - 1
            }
            let verdict: Verdict = change < -threshold ? .regression : (change > threshold ? .improvement : .unchanged)
            return (record, reference, change, verdict)
        }
    }
}
