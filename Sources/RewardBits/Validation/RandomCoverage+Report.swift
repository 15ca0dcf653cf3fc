import Foundation

/// The randomized coverage study as Markdown: one row per setting, then the
/// worst settings, coverage by region and the study's verdict.
public enum RandomCoverageReport {
    /// A correct 95% interval covers less than this at R = 1000 in fewer
    /// than 1 study in 100 (of 150 settings).
    public static let floor = 0.922
    public static let meanFloor = 0.945

    public static let tableHeader = """
        | # | command | expected rare events | target | coverage | 95% CI | flagged | median half-width | / oracle | exact count coverage | methods |
        |---|---|---|---|---|---|---|---|---|---|---|

        """

    public static func row(_ o: RandomCoverage.Outcome) -> String {
        let expected = o.expectedRareEvents.map { rareText($0, model: o.setting.expectedRareEvents != nil) } ?? "none"
        let target = (o.targetIsReference ? "ref " : "") + String(format: "%.6g", o.target)
            + (o.referenceStandardError.map { String(format: " (se %.2g)", $0) } ?? "")
        let methods = o.methods.keys.sorted().map { "\($0) \(o.methods[$0]!)" }.joined(separator: ", ")
        return String(format: "| %d | `%@` | %@ | %@ | %@ | [%.3f, %.3f] | %d | %.3g | %@ | %@ | %@ |",
                      o.setting.index, o.setting.command, expected, target, coverageText(o), o.coverageLow, o.coverageHigh,
                      o.flagged, o.medianHalfWidth, o.oracleRatio.map { String(format: "%.2f", $0) } ?? "n/a",
                      o.exactCountCoverage.map { String(format: "%.4f", $0) } ?? "", methods)
    }

    /// An expected count of rare events; "~" marks one observed rather
    /// than given by the model.
    static func rareText(_ x: Double, model: Bool) -> String {
        (model ? "" : "~") + (x < 10 ? String(format: "%.2g", x) : Format.compact(x))
    }

    static func coverageText(_ o: RandomCoverage.Outcome) -> String {
        let text = String(format: "%.3f", o.coverage)
        return o.coverage < floor || o.overCovers ? "**\(text)**" : text
    }

    /// The worst settings, coverage by region and whether the study passes.
    public static func summary(_ outcomes: [RandomCoverage.Outcome]) -> String {
        guard !outcomes.isEmpty else { return "" }
        var text = "\n### Worst settings\n\n| # | command | expected rare events | coverage | 95% CI | flagged |\n|---|---|---|---|---|---|\n"
        for o in outcomes.sorted(by: { $0.coverage < $1.coverage }).prefix(10) {
            text += String(format: "| %d | `%@` | %@ | %.3f | [%.3f, %.3f] | %d/%d |\n", o.setting.index, o.setting.command,
                           o.expectedRareEvents.map { rareText($0, model: o.setting.expectedRareEvents != nil) } ?? "none", o.coverage,
                           o.coverageLow, o.coverageHigh, o.flagged, o.replicates)
        }
        text += "\n### By region\n\n| channel | region | settings | mean coverage | lowest | highest |\n|---|---|---|---|---|---|\n"
        var groups: [String: [RandomCoverage.Outcome]] = [:]
        for o in outcomes { groups["\(o.setting.channel) \(o.setting.estimator)|\(o.region)", default: []].append(o) }
        for key in groups.keys.sorted() {
            let members = groups[key]!
            let parts = key.split(separator: "|")
            let coverages = members.map(\.coverage)
            text += String(format: "| %@ | %@ | %d | %.4f | %.3f | %.3f |\n", String(parts[0]), String(parts[1]), members.count,
                           coverages.reduce(0, +) / Double(coverages.count), coverages.min()!, coverages.max()!)
        }
        let verdict = Verdict(outcomes)
        text += "\n### Verdict\n\n" + verdict.lines.map { "- \($0)" }.joined(separator: "\n") + "\n"
        return text
    }

    /// The study's criteria, each with what was seen.
    public struct Verdict: Sendable {
        public var lowest: Double
        public var mean: Double
        public var belowFloor: [Int]
        public var overCovering: [Int]
        public var tooWide: [Int]
        public var outOfRange: [Int]
        public var passes: Bool {
            belowFloor.isEmpty && mean >= meanFloor && overCovering.isEmpty && tooWide.isEmpty && outOfRange.isEmpty
        }

        public init(_ outcomes: [RandomCoverage.Outcome]) {
            lowest = outcomes.map(\.coverage).min() ?? 0
            mean = outcomes.map(\.coverage).reduce(0, +) / Double(max(outcomes.count, 1))
            belowFloor = outcomes.filter { $0.coverage < floor }.map(\.setting.index)
            overCovering = outcomes.filter(\.overCovers).map(\.setting.index)
            tooWide = outcomes.filter(\.tooWide).map(\.setting.index)
            outOfRange = outcomes.filter { $0.outOfRange > 0 }.map(\.setting.index)
        }

        public var lines: [String] {
            func list(_ xs: [Int]) -> String { xs.isEmpty ? "none" : xs.map(String.init).joined(separator: ", ") }
            return [
                String(format: "lowest coverage %.3f (floor %.3f); settings below the floor: %@", lowest, floor, list(belowFloor)),
                String(format: "mean coverage %.4f (floor %.3f)", mean, meanFloor),
                "coverage above 0.99 with 30 or more rare events expected and intervals not flagged conservative: \(list(overCovering))",
                "median half-width above 3x the oracle's with 30 or more rare events expected: \(list(tooWide))",
                "settings with an interval outside [0, bound]: \(list(outOfRange))",
                passes ? "**the study passes**" : "**the study fails**",
            ]
        }
    }
}
