import Foundation

/// A one-line progress report on stderr (samples done, rate, ETA), redrawn at
/// most five times a second; or, for a program reading stderr, one JSON
/// object per line at the same pace and once at the end:
/// {"progress":{"samples":S,"total":N,"units":U,"unit":"rollouts","halfwidth":H|null,"target":T|null,"seconds":s}}.
final class ProgressLine: @unchecked Sendable {
    private let totalSamples: UInt64
    private let unitsPerSample: Double
    private let unitName: String
    /// With a stop rule: the half-width aimed at (percent and ETA are then unknown).
    private let target: Double?
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let json: Bool
    private var lastSamples: UInt64 = 0
    private var lastHalfWidth: Double?

    init(totalSamples: UInt64, unitsPerSample: Double, unitName: String, target: Double? = nil, json: Bool = false) {
        self.totalSamples = totalSamples
        self.unitsPerSample = unitsPerSample
        self.unitName = unitName
        self.target = target
        self.json = json
    }

    private func writeJSON(samples: UInt64, halfWidth: Double?, elapsed: Double) {
        let object = JSONValue.object([("progress", .object([
            ("samples", .unsigned(samples)), ("total", .unsigned(totalSamples)),
            ("units", .number(Double(samples) * unitsPerSample)), ("unit", .string(unitName)),
            ("halfwidth", .optional(halfWidth)), ("target", .optional(target)), ("seconds", .number(elapsed)),
        ]))])
        FileHandle.standardError.write(Data((object.serialized() + "\n").utf8))
    }

    /// True when a progress line would be seen (stderr is a terminal).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Called with the scheduler's lock held. The half-width is asked for
    /// only when a line is drawn: it can be a whole bootstrap (plug-in), and
    /// computing it at every merge would serialise the workers on the lock.
    func update(samples: UInt64, halfWidth: () -> Double?) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        let halfWidth = halfWidth()
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        if json {
            lastSamples = samples
            lastHalfWidth = halfWidth
            writeJSON(samples: samples, halfWidth: halfWidth, elapsed: elapsed)
            drawn = true
            return
        }
        let fraction = Double(samples) / Double(totalSamples)
        let rate = Double(samples) * unitsPerSample / max(elapsed, 1e-9)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        var line: String
        if let target {
            line = String(format: "\r%@ %@  %@/s  CI +-%@ (target %.3g)",
                          Format.compact(Double(samples) * unitsPerSample), unitName, Format.compact(rate),
                          halfWidth.map { String(format: "%.3g", $0) } ?? "?", target)
        } else {
            line = String(format: "\r%5.1f%%  %@ %@  %@/s  ETA %@",
                          fraction * 100,
                          Format.compact(Double(samples) * unitsPerSample), unitName,
                          Format.compact(rate), Format.duration(eta))
            if let halfWidth { line += String(format: "  CI +-%.3g", halfWidth) }
        }
        line += "   "
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    /// Clears the line; the JSON form ends with the final count instead.
    func finish(samples: UInt64? = nil, halfWidth: () -> Double? = { nil }) {
        if json {
            writeJSON(samples: samples ?? lastSamples, halfWidth: samples == nil ? lastHalfWidth : halfWidth(),
                      elapsed: Date().timeIntervalSince(start))
            return
        }
        guard drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Small number formatting helpers for human-readable output.
public enum Format {
    /// 1.23e9-style compact form; "inf" and "nan" for non-finite values
    /// (error messages quote values that overflowed).
    public static func compact(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value < 1e4 { return String(format: "%.0f", value) }
        return String(format: "%.3ge%d", value / pow(10, floor(log10(value))), Int(floor(log10(value))))
    }

    /// `value +- halfWidth` at the interval's precision: the half-width to two
    /// significant digits and the value to the same decimal place
    /// (0.0112204, 0.000187 -> "0.01122", "0.00019"). A zero or non-finite
    /// half-width leaves the value at 6 significant digits.
    public static func rounded(_ value: Double, toInterval halfWidth: Double) -> (String, String) {
        guard halfWidth.isFinite, halfWidth > 0, value.isFinite else {
            return (String(format: "%.6g", value), String(format: "%.2g", halfWidth))
        }
        let decimals = max(0, 1 - Int(floor(log10(halfWidth))))
        guard decimals <= 15 else { return (String(format: "%.6g", value), String(format: "%.2g", halfWidth)) }
        return (String(format: "%.\(decimals)f", value), String(format: "%.\(decimals)f", halfWidth))
    }

    public static func duration(_ seconds: Double) -> String {
        if !seconds.isFinite { return "?" }
        if seconds < 60 { return String(format: "%.0fs", seconds) }
        if seconds < 3600 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%dh%02dm", Int(seconds) / 3600, (Int(seconds) % 3600) / 60)
    }
}
