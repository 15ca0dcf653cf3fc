import Foundation

/// How the user names a prior or a policy: `uniform`, `zipf:S` or `file:PATH`.
public enum DistributionSpec: Sendable, Hashable, CustomStringConvertible {
    case uniform
    /// Symbol k has weight (k + 1)^-s, s >= 0.
    case zipf(Double)
    /// Exactly V non-negative weights, one per line, not all zero.
    case file(String)

    /// Parses the command-line form; `option` names the flag in error messages
    /// (empty: the messages start with what is wrong).
    public init(parsing text: String, option: String) throws {
        let named = option.isEmpty ? "" : option + " "
        if text == "uniform" {
            self = .uniform
        } else if text.hasPrefix("zipf:") {
            let exponentText = String(text.dropFirst(5))
            guard let exponent = Double(exponentText), exponent.isFinite, exponent >= 0 else {
                throw RewardBitsError.invalidInput(
                    "\(named)zipf:S needs a finite exponent S >= 0 (got '\(exponentText)'), e.g. \(named)zipf:1.1")
            }
            self = .zipf(exponent)
        } else if text.hasPrefix("file:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else {
                throw RewardBitsError.invalidInput("\(named)file:PATH needs a path, e.g. \(named)file:weights.txt")
            }
            self = .file(path)
        } else {
            throw RewardBitsError.invalidInput(
                "\(named)must be uniform, zipf:S or file:PATH (got '\(text)')")
        }
    }

    public var description: String {
        switch self {
        case .uniform: return "uniform"
        case .zipf(let s): return "zipf:\(s)"
        case .file(let path): return "file:\(path)"
        }
    }

    public var isUniform: Bool {
        if case .uniform = self { return true }
        return false
    }
}
