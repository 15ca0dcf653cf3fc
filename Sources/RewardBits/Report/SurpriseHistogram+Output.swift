import Foundation

extension SurpriseHistogram {
    /// Rows as (low, high, count); an atom is a zero-width row.
    public var rows: [(low: Double, high: Double, count: UInt64)] {
        switch self {
        case .atoms(let atoms): return atoms.map { (low: $0.value, high: $0.value, count: $0.count) }
        case .bins(_, let rows): return rows
        }
    }

    public var json: JSONValue {
        let total = Double(max(self.total, 1))
        switch self {
        case .atoms(let atoms):
            return .object([
                ("kind", .string("atoms")),
                ("atoms", .array(atoms.map { .object([("value", .number($0.value)), ("count", .unsigned($0.count)),
                                                      ("fraction", .number(Double($0.count) / total))]) })),
            ])
        case .bins(let width, let rows):
            return .object([
                ("kind", .string("bins")),
                ("bin_width", .number(width)),
                ("bins", .array(rows.map { .object([("low", .number($0.low)), ("high", .number($0.high)),
                                                    ("count", .unsigned($0.count)),
                                                    ("fraction", .number(Double($0.count) / total))]) })),
            ])
        }
    }

    /// CSV: low,high,count,fraction (low = high for exact atoms).
    public var csv: String {
        let total = Double(max(self.total, 1))
        var lines = [CSV.line(["low", "high", "count", "fraction"])]
        for row in rows {
            lines.append(CSV.line(["\(row.low)", "\(row.high)", String(row.count), "\(Double(row.count) / total)"]))
        }
        return lines.joined(separator: "\n")
    }

    /// A few lines of text with bars, for the human summary.
    public var text: String {
        let rows = self.rows
        let total = Double(max(self.total, 1))
        let maximum = Double(rows.map(\.count).max() ?? 1)
        var lines = ["  surprise (bits per sample)        fraction"]
        let shown = rows.count <= 24 ? rows : rows.sorted { $0.count > $1.count }.prefix(24).sorted { $0.low < $1.low }
        for row in shown {
            let label = row.low == row.high
                ? String(format: "%12.6g", row.low)
                : String(format: "[%10.4g, %10.4g)", row.low, row.high)
            let bar = String(repeating: "#", count: Int((Double(row.count) / maximum * 30).rounded(.up)))
            lines.append(String(format: "  %@  %10.3e  %@", label, Double(row.count) / total, bar))
        }
        if shown.count < rows.count { lines.append("  (\(rows.count - shown.count) smaller bins not shown; --json or --csv lists all)") }
        return lines.joined(separator: "\n")
    }
}
