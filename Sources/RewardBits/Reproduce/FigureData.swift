import Foundation

/// One plotted point: an estimate with its interval, the exact value beside
/// it, and an optional reference line value (a bound) at the same x.
public struct FigurePoint: Sendable {
    public var series: String
    public var x: Double
    public var estimate: Estimate
    public var exact: Double?
    public var rollouts: UInt64
    public var seed: UInt64
    public var estimator: String
    public var parameters: [(String, JSONValue)]
    /// A bound or reference curve at this x (e.g. log2(K + 1)).
    public var boundName: String = ""
    public var bound: Double?

    public init(series: String, x: Double, result: ChannelResult, boundName: String = "", bound: Double? = nil) {
        self.series = series
        self.x = x
        estimate = result.estimate
        exact = result.exact
        rollouts = result.rollouts
        seed = result.settings.seed
        estimator = result.estimator
        parameters = result.parameters
        self.boundName = boundName
        self.bound = bound
    }

    /// A point for a quantity a result reports beside its estimate (a
    /// component, a curve point, a ratio).
    public init(series: String, x: Double, result: ChannelResult, estimate: Estimate, exact: Double?, estimator: String,
                boundName: String = "", bound: Double? = nil) {
        self.init(series: series, x: x, result: result, boundName: boundName, bound: bound)
        self.estimate = estimate
        self.exact = exact
        self.estimator = estimator
    }

    /// A point for one of a result's estimated reference quantities.
    public init(series: String, x: Double, result: ChannelResult, boundEstimate name: String) {
        self.init(series: series, x: x, result: result)
        estimate = result.boundEstimates.first { $0.0 == name }!.1
        exact = result.boundExacts.first { $0.0 == name }?.1
        estimator = name
    }
}

/// A figure: its points, how to draw them, and what it shows.
public struct FigureData: Sendable {
    /// File stem, e.g. "fig6_group_vs_K".
    public var name: String
    public var title: String
    /// One line for figures/index.md.
    public var summary: String
    public var xLabel: String
    public var yLabel: String
    public var logX: Bool
    public var logY: Bool
    public var points: [FigurePoint]
    /// Reference curves drawn as lines: (title, [(x, y)]).
    public var lines: [(String, [(Double, Double)])] = []
    /// Series drawn as exact lines from the `exact` column, with their points.
    public var exactSeries: Set<String> = []
    /// Where the legend goes inside the plot (a gnuplot key position).
    public var keyPosition = "bottom right"
    /// The y range, where the data alone would leave no room for the legend.
    public var yRange: ClosedRange<Double>?
    /// The CSV's name for x, the parameter it is (`vocab`, `group`, `length`, ...).
    public var xColumn = "x"

    /// The figure's points: x under its parameter's name (an integer where it
    /// is one), the estimate and its interval, then one column per parameter
    /// of the run behind the point (empty where a series lacks it) and the
    /// tool's version.
    public var csv: String {
        func number(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        func xText(_ x: Double) -> String {
            x.isFinite && x == x.rounded() && abs(x) < 9.0e15 ? String(Int64(x)) : number(x)
        }
        let rows: [[(String, String)]] = points.map { p in
            let e = p.estimate
            var row: [(String, String)] = [
                ("figure", name), ("series", p.series), (xColumn, xText(p.x)), ("estimate", number(e.value)),
                ("stderr", number(e.standardError)), ("ci_low", number(e.low)), ("ci_high", number(e.high)),
                ("exact", number(p.exact)), ("z", number(e.z(against: p.exact))), ("samples", String(e.samples)),
                ("rollouts", String(p.rollouts)), ("seed", String(p.seed)), ("estimator", p.estimator),
                ("interval_method", e.method.rawValue), ("bound_name", p.boundName), ("bound", number(p.bound)),
            ]
            for (key, value) in p.parameters where !row.contains(where: { $0.0 == key }) {
                row.append((key, value.csvText))
            }
            return row
        }
        return CSV.table(rows.map { $0 + [("version", RewardBitsVersion.tool)] }) + "\n"
    }

    /// Series in first-appearance order.
    public var seriesNames: [String] {
        var names: [String] = []
        for p in points where !names.contains(p.series) { names.append(p.series) }
        return names
    }
}

/// A stable 64-bit hash (FNV-1a) of a string: per-point seeds must not depend
/// on Swift's per-process randomised hashing.
public func stableHash(_ text: String) -> UInt64 { FNV1a.hash(Array(text.utf8)) }
