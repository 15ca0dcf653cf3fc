import Foundation

/// The first processor's entries in Linux's /proc/cpuinfo ("vendor_id",
/// "flags", "model name", ...), read once. Empty where the file cannot be
/// read (not Linux), so every caller falls back to its portable choice.
public enum CPUInfo {
    static let entries: [String: String] = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [:] }
        var entries: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // A blank line ends the first processor's block.
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if entries.isEmpty { continue }
                break
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            if entries[name] == nil {
                entries[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return entries
    }()

    /// The value of entry `name`, or nil where there is none.
    public static func field(_ name: String) -> String? { entries[name] }
}
