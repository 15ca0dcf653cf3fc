import Foundation

enum CommandLineError {
    /// Prints `rewardbits: error: <message>` as one line and exits.
    static func report(_ message: String, code: Int32) -> Never {
        let folded = message
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
            .joined(separator: " ")
        let hint = folded.contains("--help") ? "" : " (try --help)"
        FileHandle.standardError.write(Data("rewardbits: error: \(folded)\(hint)\n".utf8))
        exit(code == 0 ? 64 : code)
    }
}
