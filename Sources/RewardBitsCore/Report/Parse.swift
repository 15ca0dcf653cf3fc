/// Parsing of the numbers users type on the command line.
public enum Parse {
    /// A non-negative integer count written as `1024`, `10_000_000`, `1e7`,
    /// `1.5e6` or `2^20`. The value must be an exact integer that fits in 64
    /// bits; anything else is refused with a message naming `option` (nil:
    /// the message starts with the reason, for callers that name the value
    /// themselves).
    public static func count(_ text: String, option: String?) throws -> UInt64 {
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        func fail(_ why: String) -> RewardBitsError {
            .invalidInput("\(option.map { "\($0) '\(text)' " } ?? "")\(why); write e.g. 1000000, 1_000_000, 1e6 or 2^20")
        }
        guard !cleaned.isEmpty else { throw fail("is empty") }
        if let caret = cleaned.firstIndex(of: "^") {
            let baseText = cleaned[..<caret]
            let exponentText = cleaned[cleaned.index(after: caret)...]
            guard let base = UInt64(baseText), let exponent = UInt64(exponentText) else {
                throw fail("is not a power a^b of non-negative integers")
            }
            var value: UInt64 = 1
            for _ in 0..<exponent {
                let (product, overflow) = value.multipliedReportingOverflow(by: base)
                guard !overflow else { throw fail("does not fit in 64 bits") }
                value = product
                if value == 0 || value == 1 { break }
            }
            return value
        }
        // Decimal with optional fraction and exponent, evaluated exactly.
        var mantissaText = cleaned
        var exponent = 0
        if let e = cleaned.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissaText = String(cleaned[..<e])
            let exponentText = cleaned[cleaned.index(after: e)...]
            guard let parsed = Int(exponentText), abs(parsed) < 400 else {
                throw fail("has a malformed exponent")
            }
            exponent = parsed
        }
        var digits = mantissaText
        if let dot = mantissaText.firstIndex(of: ".") {
            let fraction = mantissaText[mantissaText.index(after: dot)...]
            digits = String(mantissaText[..<dot]) + fraction
            exponent -= fraction.count
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            if cleaned.hasPrefix("-") { throw fail("is negative, and negative values are not allowed") }
            throw fail("is not a number")
        }
        // Strip trailing zeros into the exponent so "1.50e1" works.
        while digits.count > 1, digits.hasSuffix("0"), exponent < 0 {
            digits.removeLast()
            exponent += 1
        }
        guard exponent >= 0 else { throw fail("is not a whole number") }
        guard var value = UInt64(digits) else { throw fail("does not fit in 64 bits") }
        for _ in 0..<exponent {
            if value == 0 { break }
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw fail("does not fit in 64 bits") }
            value = product
        }
        return value
    }
}
