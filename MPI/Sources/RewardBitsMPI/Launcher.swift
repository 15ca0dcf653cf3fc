import Foundation

/// One rank's part of an MPI run: its shard, the gather, and (on rank 0) the
/// merge. Every failure is one line on stderr, printed once, and an exit
/// code every rank returns.
struct Launcher {
    let world: MPIWorld

    static let usage = "usage: mpirun -np R rewardbits-mpi estimate CHANNEL OPTIONS... (or sweep CHANNEL OPTIONS...)"

    /// Options the merge takes (with whether they take a value); the rest
    /// describe the run and go to each rank's shard.
    static let mergeOptions: [String: Bool] = [
        "--json": false, "--csv": false, "--confidence": true, "--interval": true,
        "--target-halfwidth": true, "--min-samples": true,
    ]

    func run(_ arguments: [String]) -> Int32 {
        // A job script that starts R copies of a one-rank world would run the
        // whole job R times, each printing it: refuse before any work.
        if world.size == 1, let tasks = ProcessInfo.processInfo.environment["SLURM_NTASKS"].flatMap(Int.init), tasks > 1 {
            return fail(64, "SLURM_NTASKS is \(tasks) but this MPI world has 1 rank: every task would run the whole job; launch with srun --mpi=pmix or mpirun, or run one task")
        }
        guard let first = arguments.first, ["estimate", "sweep"].contains(first) else {
            return fail(64, "rewardbits-mpi runs estimate or sweep (\(Self.usage))")
        }
        var shardArguments: [String] = [], mergeArguments: [String] = []
        var checkpointPrefix: String?, checkpointEvery: String?
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            let inlineValue = word.contains("=") ? String(word[word.index(after: word.firstIndex(of: "=")!)...]) : nil
            func value() -> String? {
                if let inlineValue { return inlineValue }
                index += 1
                return index < arguments.count ? arguments[index] : nil
            }
            if ["--shard", "--partial", "--block-range"].contains(name) {
                return fail(64, "\(name) is set per rank by rewardbits-mpi; leave it out")
            } else if name == "--checkpoint" {
                guard let path = value(), !path.isEmpty else { return fail(64, "--checkpoint needs a path prefix") }
                checkpointPrefix = path
            } else if name == "--checkpoint-every" {
                checkpointEvery = value()
            } else if let takesValue = Self.mergeOptions[name] {
                mergeArguments.append(name)
                if takesValue {
                    guard let v = value() else { return fail(64, "\(name) needs a value") }
                    mergeArguments.append(v)
                }
            } else if name == "--quiet" {
                mergeArguments.append(name)
            } else {
                shardArguments.append(word)
            }
            index += 1
        }
        guard let binary = Self.findRewardBits() else {
            return fail(69, "cannot find the rewardbits binary: set REWARDBITS_BIN, or build it (swift build -c release) next to MPI/")
        }

        // This rank's shard.
        let rankName = "rank-\(world.rank)-of-\(world.size)"
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("rewardbits-mpi-\(getpid())-\(world.rank)").path
        let partPath = checkpointPrefix.map { "\($0).\(rankName).rwb" } ?? "\(scratch)/part.rwb"
        var status: Int32 = 0
        var errorText = ""
        if checkpointPrefix == nil {
            try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        }
        defer { if checkpointPrefix == nil { try? FileManager.default.removeItem(atPath: scratch) } }
        // A part a killed job finished is kept: rewardbits sees the same shard
        // of the same command at --partial and does not run it again.
        var command = shardArguments + ["--shard", "\(world.rank)/\(world.size)", "--partial", partPath, "--quiet", "--json"]
        if let checkpointPrefix {
            command += ["--checkpoint", "\(checkpointPrefix).\(rankName)"]
            if let checkpointEvery { command += ["--checkpoint-every", checkpointEvery] }
        }
        let summary: String
        (status, errorText, summary) = Self.execute(binary, command, captureOutput: true)
        if checkpointPrefix != nil, status == 0,
           let json = try? JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any] {
            if json["reused"] as? Bool == true {
                FileHandle.standardError.write(Data("rewardbits-mpi: rank \(world.rank) uses its finished part \(partPath)\n".utf8))
            } else if let resumed = json["resumed_blocks"] as? Int, resumed > 0 {
                FileHandle.standardError.write(Data(
                    "rewardbits-mpi: rank \(world.rank) resumed \(resumed) blocks from \(checkpointPrefix!).\(rankName)\n".utf8))
            }
        }
        let part = status == 0 ? FileManager.default.contents(atPath: partPath).map { [UInt8]($0) } : nil
        if status == 0 && part == nil {
            (status, errorText) = (74, "rewardbits-mpi: error: rank \(world.rank) cannot read its part \(partPath)\n")
        }
        let statuses = world.allGather(status)
        if let failed = statuses.firstIndex(where: { $0 != 0 }) {
            // The first failing rank says why; all return its code.
            if failed == world.rank { FileHandle.standardError.write(Data(errorText.utf8)) }
            return statuses[failed]
        }
        let sizes = world.allGather(Int32(clamping: part!.count))
        guard sizes.allSatisfy({ $0 < Int32.max }), sizes.reduce(0, { $0 + Int($1) }) < Int(Int32.max) else {
            return world.rank == 0
                ? fail(70, "the ranks' parts exceed one MPI_Gatherv (2 GiB): run rewardbits --shard I/N and rewardbits merge instead")
                : 70
        }
        guard let parts = world.gatherToRoot(part!) else { return 0 }

        // Rank 0: fold the parts in block order.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewardbits-mpi-merge-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var paths: [String] = []
            for (rank, bytes) in parts.enumerated() {
                let path = "\(folder)/rank-\(rank).rwb"
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                paths.append(path)
            }
            return Self.execute(binary, ["merge"] + mergeArguments + paths, captureOutput: false).status
        } catch {
            return fail(73, "cannot write the gathered parts under \(folder): \(error)")
        }
    }

    private func fail(_ code: Int32, _ message: String) -> Int32 {
        if world.rank == 0 { FileHandle.standardError.write(Data("rewardbits-mpi: error: \(message)\n".utf8)) }
        return code
    }

    /// Runs the binary; with `captureOutput` its stdout and stderr are
    /// returned (stderr is printed once, by the launcher), else both pass through.
    static func execute(_ binary: String, _ arguments: [String], captureOutput: Bool)
        -> (status: Int32, stderr: String, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        // Stdout (one summary line) through a pipe, stderr through a file: a
        // shard that writes much to stderr cannot block on a full pipe.
        let output = Pipe()
        let errorPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("rewardbits-mpi-stderr-\(getpid())-\(UUID().uuidString.prefix(8))").path
        defer { unlink(errorPath) }
        if captureOutput {
            _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
            process.standardOutput = output
            process.standardError = FileHandle(forWritingAtPath: errorPath)
        }
        do {
            try process.run()
        } catch {
            return (69, "rewardbits-mpi: error: cannot run \(binary): \(error)\n", "")
        }
        // The shard's summary is one line; its stderr is read after it ends.
        let out = captureOutput ? String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) : ""
        process.waitUntilExit()
        var text = captureOutput ? (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" : ""
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        if status != 0 && text.isEmpty {
            text = "rewardbits-mpi: error: \(binary) \(arguments.prefix(2).joined(separator: " ")) ended with status \(status) and said nothing\n"
        }
        return (status, text, out)
    }

    /// REWARDBITS_BIN, a `rewardbits` beside this executable, the package's
    /// own release build (MPI/.build/release/rewardbits-mpi -> .build/release/rewardbits), or PATH.
    static func findRewardBits() -> String? {
        let manager = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["REWARDBITS_BIN"] {
            return manager.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        var candidates = [folder.appendingPathComponent("rewardbits").path]
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent(".build/release/rewardbits").path)
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/rewardbits")
        }
        return candidates.first { manager.isExecutableFile(atPath: $0) }
    }
}
