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

    public static let csvColumns = [
        "figure", "series", "x", "estimate", "stderr", "ci_low", "ci_high", "exact", "z", "samples", "rollouts",
        "seed", "estimator", "interval_method", "bound_name", "bound", "params",
    ]

    public var csv: String {
        func number(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        var lines = [CSV.line(Self.csvColumns)]
        for p in points {
            let e = p.estimate
            let params = p.parameters.map { "\($0.0)=\($0.1.csvText)" }.joined(separator: ";")
            lines.append(CSV.line([
                name, p.series, number(p.x), number(e.value), number(e.standardError), number(e.low), number(e.high),
                number(p.exact), number(e.z(against: p.exact)), String(e.samples), String(p.rollouts),
                String(p.seed), p.estimator, e.method.rawValue, p.boundName, number(p.bound), params,
            ]))
        }
        return lines.joined(separator: "\n") + "\n"
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
