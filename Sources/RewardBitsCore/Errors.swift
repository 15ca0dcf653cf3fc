/// Everything that can go wrong in a run, each with the one line a user sees
/// and the sysexits(3) code the command-line tool exits with.
public enum RewardBitsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A value the user typed is out of range or malformed (EX_USAGE). The
    /// message names parameters in the library's words, or with the command
    /// line's flags (`message(naming:)`).
    case invalidInput(ErrorText)
    /// An input file is missing, unreadable or malformed. DESIGN section 6
    /// treats this as bad input, so it also exits with EX_USAGE.
    case unreadableInput(ErrorText)
    /// An output file or checkpoint cannot be created (EX_CANTCREAT).
    case cannotWrite(ErrorText)
    /// A numerical routine (GSL) reported an error (EX_SOFTWARE).
    case numerical(String)
    /// A checkpoint file is corrupted or belongs to another run (EX_DATAERR).
    case corruptCheckpoint(ErrorText)
    /// The run was interrupted (SIGINT) after saving its checkpoint.
    case interrupted(String)

    public var description: String {
        switch self {
        case .invalidInput(let text), .unreadableInput(let text), .cannotWrite(let text), .corruptCheckpoint(let text):
            return text.description
        case .numerical(let message), .interrupted(let message):
            return message
        }
    }

    /// The one line for a user, with each parameter named by `name` (the
    /// command line passes its flag names).
    public func message(naming name: (Parameter) -> String) -> String {
        switch self {
        case .invalidInput(let text), .unreadableInput(let text), .cannotWrite(let text), .corruptCheckpoint(let text):
            return text.rendered(naming: name)
        default: return description
        }
    }

    /// The sysexits(3) code for this error.
    public var exitCode: Int32 {
        switch self {
        case .invalidInput, .unreadableInput: return 64
        case .cannotWrite: return 73
        case .numerical: return 70
        case .corruptCheckpoint: return 65
        case .interrupted: return 130
        }
    }
}
