import Foundation

/// Output files that are either the old version or the whole new one, never
/// half of either: every write goes to a temporary file beside the
/// destination (`.NAME.tmp-PID`), is flushed with fsync, and is renamed over
/// the destination with rename(2), which replaces it in one step. A crash or
/// SIGKILL at any moment leaves the previous file, plus at worst a stale
/// temporary that `removeStaleTemporaries` clears on the next run.
public enum AtomicFile {
    /// The temporary file this process writes before renaming it to `path`.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
    }

    /// Refuses, before any work is done, a destination that is empty, a
    /// folder, or in a folder where no file can be created. `option` names
    /// the parameter in the message (nil: an output file).
    public static func checkWritable(_ path: String, option: Parameter?) throws {
        guard !path.isEmpty else {
            throw RewardBitsError.invalidInput(subject(option, "") + " needs a file path (got an empty string)")
        }
        try refuseFolder(path, option: option)
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw RewardBitsError.cannotWrite(
                subject(option, path) + ": cannot create a file there (\(String(cString: strerror(errno)))); choose a writable path")
        }
        close(fd)
        unlink(temporary)
        removeStaleTemporaries(for: path)
    }

    /// A rename over a folder would replace it (with its contents, if a
    /// library removes it first): a folder in the way is an error.
    /// "--checkpoint PATH" (or the parameter's words), or "output file PATH".
    static func subject(_ option: Parameter?, _ path: String) -> ErrorText {
        let spaced = path.isEmpty ? "" : " \(path)"
        guard let option else { return "output file\(spaced)" }
        return "\(option)\(spaced)"
    }

    private static func refuseFolder(_ path: String, option: Parameter?) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw RewardBitsError.cannotWrite(subject(option, path) + " is a folder; give the path of a file")
        }
    }

    /// Deletes temporaries of `path` left by processes that no longer run
    /// (a run killed while writing).
    public static func removeStaleTemporaries(for path: String) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(folder.appendingPathComponent(name).path) }
        }
    }

    /// Writes `bytes` to `path` atomically (see the type's comment). A
    /// destination that is a folder is refused, never replaced. `stallAt`
    /// is a fault-injection point for the crash tests: the writer calls
    /// `stall` once that many bytes are in the temporary file.
    public static func write(_ bytes: [UInt8], to path: String, option: Parameter?,
                             stallAt: Int = -1, stall: () -> Void = {}) throws {
        try refuseFolder(path, option: option)
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw RewardBitsError.cannotWrite(subject(option, path) + ": cannot write (\(String(cString: strerror(errno))))")
        }
        let written = bytes.withUnsafeBytes { raw -> Int in
            var offset = 0
            while offset < raw.count {
                if offset == stallAt { stall() }
                let end = offset < stallAt ? stallAt : raw.count
                let n = Foundation.write(fd, raw.baseAddress! + offset, end - offset)
                if n <= 0 { return -1 }
                offset += n
            }
            return offset
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RewardBitsError.cannotWrite(subject(option, path) + ": writing failed (\(reason))")
        }
    }
}

/// Writes `contents` to `url` atomically (see `AtomicFile`).
public func writeAtomically(_ contents: String, to url: URL, option: Parameter? = nil) throws {
    try AtomicFile.write(Array(contents.utf8), to: url.path, option: option)
}
