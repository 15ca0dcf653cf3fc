import Foundation

enum CommandLineError {
    /// Prints `rewardbits: error: <message>` as one line and exits.
    static func report(_ message: String, code: Int32, hint: Bool) -> Never {
        let folded = message
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
            .joined(separator: " ")
        let suffix = hint && !folded.contains("--help") ? " (try --help)" : ""
        FileHandle.standardError.write(Data("rewardbits: error: \(folded)\(suffix)\n".utf8))
        exit(code == 0 ? 64 : code)
    }
}
