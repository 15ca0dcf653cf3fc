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
            ("seed", .unsigned(settings.seed)),
            ("threads", .integer(Int64(settings.threads))),
            ("threads_from", .string(settings.threadsFrom)),
            ("seconds", .number(seconds)),
            ("cpu_seconds", .number(cpuSeconds)),
            ("rollouts_per_second", .number(rolloutsPerSecond)),
            ("throughput", .object([
                ("unit", .string(throughputUnit)), ("per_second", .number(unitsPerSecond)),
                ("per_cpu_second", .number(unitsPerCPUSecond)),
            ])),
        ]
        return .object(members)
    }

    static func intervalJSON(_ e: Estimate) -> JSONValue {
        .object([("level", .number(e.level)), ("low", .number(e.low)), ("high", .number(e.high)),
                 ("halfwidth", .number(e.halfWidth))])
    }

    /// Column names of `--csv`, shared by every channel.
    public static let csvHeader = [
        "channel", "estimator", "estimate", "stderr", "ci_low", "ci_high", "ci_level", "halfwidth", "interval_method",
        "exact", "z", "samples", "rollouts", "rng", "seed", "threads", "seconds", "rollouts_per_second", "target_reached",
        "params",
    ]

    /// One `--csv` row (params packed as key=value pairs separated by ';').
    public var csvRow: [String] {
        func number(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        let params = parameters.map { "\($0.0)=\($0.1.csvText)" }.joined(separator: ";")
        return [channel, estimator, number(estimate.value), number(estimate.standardError), number(estimate.low),
                number(estimate.high), number(estimate.level), number(estimate.halfWidth), estimate.method.rawValue,
                number(exact), number(z), String(estimate.samples), String(rollouts),
                settings.generator.description, String(settings.seed), String(settings.threads), number(seconds),
                number(rolloutsPerSecond), targetReached.map { $0 ? "true" : "false" } ?? "", params]
    }

    /// The default human-readable summary.
    public var summary: String {
        let paramText = parameters.filter { !["block_size", "stream_format"].contains($0.0) }
            .map { "\($0.0)=\($0.1.csvText)" }.joined(separator: " ")
        var lines = ["\(channel) [\(estimator)]  \(paramText)"]
        let pct = String(format: "%g%%", estimate.level * 100)
        lines.append(String(format: "  estimate  %.9g bits   %@ CI [%.9g, %.9g]  (+-%.3g, se %.3g, %@)",
                            estimate.value, pct, estimate.low, estimate.high, estimate.halfWidth,
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
    public static func line(_ cells: [String]) -> String {
        cells.map { cell in
            cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
        }.joined(separator: ",")
    }
}
