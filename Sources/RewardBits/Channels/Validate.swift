/// Range checks shared by the channels, each failing with the one line a user
/// needs to fix the command.
public enum Validate {
    public static let maximumVocabulary: UInt64 = 1 << 32

    public static func vocabulary(_ v: UInt64) throws {
        guard v >= 2 else {
            throw RewardBitsError.invalidInput("\(Parameter.vocabulary) must be at least 2 (got \(v)): a one-symbol vocabulary carries no information")
        }
        guard v <= maximumVocabulary else {
            throw RewardBitsError.invalidInput("\(Parameter.vocabulary) must be at most 2^32 = 4294967296 (got \(v))")
        }
    }

    public static func noise(_ eps: Double) throws {
        guard eps.isFinite, eps >= 0, eps <= 0.5 else {
            throw RewardBitsError.invalidInput("\(Parameter.noise) must be a number in [0, 0.5] (got \(eps)), e.g. 0.1")
        }
    }

    public static func probability(_ p: Double, _ parameter: Parameter) throws {
        guard p.isFinite, p >= 0, p <= 1 else {
            throw RewardBitsError.invalidInput("\(parameter) must be a number in [0, 1] (got \(p))")
        }
    }

    public static func count(_ n: UInt64, _ parameter: Parameter, minimum: UInt64 = 1) throws {
        guard n >= minimum else {
            throw RewardBitsError.invalidInput("\(parameter) must be at least \(minimum) (got \(n))")
        }
    }

    public static func confidence(_ c: Double) throws {
        guard c.isFinite, c > 0, c < 1 else {
            throw RewardBitsError.invalidInput("\(Parameter.confidence) must lie strictly between 0 and 1 (got \(c)), e.g. 0.95")
        }
    }
}
