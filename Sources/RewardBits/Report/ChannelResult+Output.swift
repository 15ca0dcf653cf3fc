import Foundation

extension ChannelResult {
    /// Fields that measure time rather than the estimate; everything else is
    /// bitwise reproducible for a given spec and seed.
    public static let timingFields: Set<String> = [
        "seconds", "cpu_seconds", "rollouts_per_second", "throughput", "threads", "threads_from",
    ]

    /// The `--json` object.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("channel", .string(channel)),
            ("params", .object(parameters)),
            ("estimator", .string(estimator)),
            ("estimate", .number(estimate.value)),
            ("ci", Self.intervalJSON(estimate)),
            ("stderr", .number(estimate.standardError)),
            ("interval_method", .string(estimate.method.rawValue)),
            ("rare_events", estimate.rareEvents.map { .unsigned($0) } ?? .null),
            ("samples", .unsigned(estimate.samples)),
            ("rollouts", .unsigned(rollouts)),
            ("exact", .optional(exact)),
            ("z", .optional(z)),
            ("bounds", .object(bounds.map { ($0.0, .number($0.1)) })),
        ]
        if !boundEstimates.isEmpty {
            members.append(("bound_estimates", .object(boundEstimates.map { name, e in
                let exactValue = boundExacts.first { $0.0 == name }?.1
                return (name, .object([
                    ("estimate", .number(e.value)), ("ci", Self.intervalJSON(e)), ("stderr", .number(e.standardError)),
                    ("exact", .optional(exactValue)), ("z", .optional(e.z(against: exactValue))),
                ]))
            })))
        }
        func object(_ e: Estimate, exact: Double?) -> [(String, JSONValue)] {
            [("estimate", .number(e.value)), ("stderr", .number(e.standardError)), ("ci", Self.intervalJSON(e)),
             ("interval_method", .string(e.method.rawValue)), ("exact", .optional(exact)), ("z", .optional(e.z(against: exact)))]
        }
        if !components.isEmpty {
            members.append(("components", .object(components.map { ($0.name, .object(object($0.estimate, exact: $0.exact))) })))
        }
        for named in namedEstimates { members.append((named.name, .object(object(named.estimate, exact: named.exact)))) }
        if !curve.isEmpty {
            members.append(("curve", .array(curve.map { point in
                .object([("step", .integer(Int64(point.step)))] + object(point.estimate, exact: point.exact) + point.extras)
            })))
        }
        if settings.stopping != nil {
            members.append(("stopped_early", .bool(stoppedEarly)))
            members.append(("target_reached", .bool(targetReached ?? false)))
        }
        if let histogram {
            var h: [(String, JSONValue)] = [("of", .string("per-sample values of the \(estimator) estimator, bits"))]
            if case .object(let rest) = histogram.json { h += rest }
            members.append(("histogram", .object(h)))
        }
        members += [
            ("warnings", .array(allWarnings.map { .string($0) })),
            ("rng", .string(settings.generator.description)),
            ("seed", Self.seedJSON(settings.seed)),
            ("threads", .integer(Int64(settings.threads))),
            ("threads_from", .string(settings.threadsFrom)),
            ("seconds", .number(seconds)),
            ("cpu_seconds", .number(cpuSeconds)),
            ("rollouts_per_second", .number(rolloutsPerSecond)),
            ("throughput", .object([
                ("unit", .string(throughputUnit)), ("per_second", .number(unitsPerSecond)),
                ("per_cpu_second", .number(unitsPerCPUSecond)),
            ])),
            ("version", RewardBitsVersion.json),
        ]
        return .object(members)
    }

    /// A seed as JSON: a number up to 2^53 (exact in every JSON reader), a
    /// string above (JavaScript and pandas would round it).
    public static func seedJSON(_ seed: UInt64) -> JSONValue {
        seed <= 1 << 53 ? .unsigned(seed) : .string(String(seed))
    }

    static func intervalJSON(_ e: Estimate) -> JSONValue {
        .object([("level", .number(e.level)), ("low", .number(e.low)), ("high", .number(e.high)),
                 ("halfwidth", .number(e.halfWidth))])
    }

    /// The `--csv` columns of this result, (name, cell), in order: the
    /// estimate, one column per parameter, the bounds and the named estimates
    /// (with their intervals), then the run's facts. Integers are written as
    /// integers, missing values as empty cells, so `pandas.read_csv` types
    /// every column without help.
    public var csvColumns: [(String, String)] {
        func number(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        var columns: [(String, String)] = [
            ("channel", channel), ("estimator", estimator), ("estimate", number(estimate.value)),
            ("stderr", number(estimate.standardError)), ("ci_low", number(estimate.low)), ("ci_high", number(estimate.high)),
            ("ci_level", number(estimate.level)), ("halfwidth", number(estimate.halfWidth)),
            ("interval_method", estimate.method.rawValue), ("exact", number(exact)), ("z", number(z)),
            ("samples", String(estimate.samples)), ("rollouts", String(rollouts)),
        ]
        for named in components + namedEstimates {
            columns += [(named.name, number(named.estimate.value)), ("\(named.name)_ci_low", number(named.estimate.low)),
                        ("\(named.name)_ci_high", number(named.estimate.high)), ("\(named.name)_exact", number(named.exact))]
        }
        for (name, value) in parameters where !columns.contains(where: { $0.0 == name }) {
            columns.append((name, value.csvText))
        }
        for (name, value) in bounds { columns.append(("bound_\(name)", number(value))) }
        for (name, e) in boundEstimates {
            columns += [("bound_estimate_\(name)", number(e.value)), ("bound_estimate_\(name)_ci_low", number(e.low)),
                        ("bound_estimate_\(name)_ci_high", number(e.high))]
        }
        columns += [("rng", settings.generator.description), ("seed", String(settings.seed)),
                    ("threads", String(settings.threads)), ("seconds", number(seconds)),
                    ("throughput_per_second", number(unitsPerSecond)), ("throughput_unit", throughputUnit)]
        if let targetReached { columns.append(("target_reached", targetReached ? "true" : "false")) }
        columns += [("warnings", allWarnings.joined(separator: "; ")), ("version", RewardBitsVersion.tool)]
        return columns
    }

    /// One LaTeX table row: channel, parameters, the estimate rounded to its
    /// interval, the exact value (or --), e.g.
    /// `group & vocab=1024, group=32 & $0.3515 \pm 0.0001$ & 0.35153 \\`.
    public var latexRow: String {
        let (shown, plusMinus) = Format.rounded(estimate.value, toInterval: estimate.halfWidth)
        let paramText = parameters.filter { !["block_size", "stream_format", "estimator"].contains($0.0) }
            .map { "\($0.0)=\($0.1.csvText)" }.joined(separator: ", ").replacingOccurrences(of: "_", with: "\\_")
        let exactText = exact.map { Format.rounded($0, toInterval: estimate.halfWidth / 10).0 } ?? "--"
        return "\(channel) & \(paramText) & $\(shown) \\pm \(plusMinus)$ & \(exactText) \\\\"
    }

    /// The default human-readable summary.
    public var summary: String {
        let paramText = parameters.filter { !["block_size", "stream_format"].contains($0.0) }
            .map { "\($0.0)=\($0.1.csvText)" }.joined(separator: " ")
        var lines = ["\(channel) [\(estimator)]  \(paramText)"]
        let pct = String(format: "%g%%", estimate.level * 100)
        let (shown, plusMinus) = Format.rounded(estimate.value, toInterval: estimate.halfWidth)
        lines.append(String(format: "  estimate  %@ +- %@ bits   %@ CI [%.9g, %.9g]  (%.9g, se %.3g, %@)",
                            shown, plusMinus, pct, estimate.low, estimate.high, estimate.value,
                            estimate.standardError, estimate.method.rawValue))
        if let exact {
            let z = self.z.map { String(format: "z = %+.2f", $0) }
                ?? (estimator == EstimatorKind.plugin.rawValue ? "z not taken (the plug-in's target is E[plug-in])" : "z undefined (se = 0)")
            lines.append(String(format: "  exact     %.9g bits   %@", exact, z))
        } else {
            lines.append("  exact     unknown for this spec")
        }
        for (name, e) in boundEstimates {
            var text = String(format: "  %@  %.6g  %@ CI [%.6g, %.6g]", name, e.value, pct, e.low, e.high)
            if let x = boundExacts.first(where: { $0.0 == name })?.1 { text += String(format: "  exact %.6g", x) }
            lines.append(text)
        }
        for list in [components, namedEstimates] {
            for c in list {
                var text = "  " + c.name.padding(toLength: 15, withPad: " ", startingAt: 0)
                text += String(format: " %.6g  %@ CI [%.6g, %.6g]", c.estimate.value, pct, c.estimate.low, c.estimate.high)
                if let x = c.exact { text += String(format: "  exact %.6g", x) }
                lines.append(text)
            }
        }
        if !curve.isEmpty {
            lines.append("  curve     step  estimate     CI                       exact")
            for point in curve {
                lines.append(String(format: "            %4d  %-11.6g  [%.6g, %.6g]  %@", point.step, point.estimate.value,
                                    point.estimate.low, point.estimate.high,
                                    point.exact.map { String(format: "%.6g", $0) } ?? "-"))
            }
        }
        let boundText = bounds.filter { name, _ in !boundEstimates.contains { $0.0 == name } }
            .map { String(format: "%@ = %.6g", $0.0, $0.1) }.joined(separator: ", ")
        if !boundText.isEmpty { lines.append("  bounds    \(boundText)") }
        lines.append(String(format: "  work      %llu samples, %llu rollouts in %.3f s (%@ %@/s; %d threads (%@), %@, seed %llu)",
                            estimate.samples, rollouts, seconds, Format.compact(unitsPerSecond), throughputUnit,
                            settings.threads, settings.threadsFrom, settings.generator.description, settings.seed))
        for warning in allWarnings { lines.append("  warning   \(warning)") }
        return lines.joined(separator: "\n")
    }
}

extension JSONValue {
    /// Plain text of a scalar for CSV cells and summaries.
    public var csvText: String {
        switch self {
        case .string(let s): return s
        case .number(let x): return x.isFinite ? "\(x)" : ""
        case .integer(let i): return String(i)
        case .unsigned(let u): return String(u)
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        default: return serialized()
        }
    }
}

/// CSV quoting (RFC 4180).
public enum CSV {
    /// A header and one line per row; a column some rows lack is empty there.
    public static func table(_ rows: [[(String, String)]]) -> String {
        var names: [String] = []
        for row in rows { for (name, _) in row where !names.contains(name) { names.append(name) } }
        var lines = [line(names)]
        for row in rows {
            let cells = Dictionary(row, uniquingKeysWith: { a, _ in a })
            lines.append(line(names.map { cells[$0] ?? "" }))
        }
        return lines.joined(separator: "\n")
    }

    public static func line(_ cells: [String]) -> String {
        cells.map { cell in
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",")
    }
}
