import Foundation

/// Output formats of `reproduce`.
public enum FigureFormat: String, Sendable, CaseIterable {
    case png, svg, pdf

    var terminal: String {
        switch self {
        case .png: return "pngcairo size 1000,800 enhanced font 'Sans,12'"
        case .svg: return "svg size 1000,800 enhanced font 'Sans,12' background rgb 'white'"
        case .pdf: return "pdfcairo size 7in,5.6in enhanced font 'Sans,10'"
        }
    }
}

/// Self-contained gnuplot scripts (data inline) for the figures.
public enum Gnuplot {
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// Dash types and point types by series, so that curves drawn on top of
    /// one another (E[log2(M+1)] for large V and log2(K+1)) stay apart.
    static let dashTypes = [1, 2, 4, 5, 3, 6, 1, 2]
    static let pointTypes = [7, 5, 9, 11, 13, 15, 7, 5]

    /// The figure in two panels: the estimates with their intervals and the
    /// exact curves above, and below it z = (estimate - exact) / stderr for
    /// every point with an exact value, where intervals thinner than the
    /// markers become visible (the band is |z| <= 2).
    public static func script(for figure: FigureData, formats: [FigureFormat]) -> String {
        var s = "# \(figure.title)\n# Regenerate with: gnuplot \(figure.name).gp (in this folder)\n"
        var blocks: [String] = []
        var plots: [String] = []
        var zPlots: [String] = []
        var largestZ = 0.0
        for (i, series) in figure.seriesNames.enumerated() {
            let color = palette[i % palette.count]
            let dash = dashTypes[i % dashTypes.count], point = pointTypes[i % pointTypes.count]
            let points = figure.points.filter { $0.series == series }.sorted { $0.x < $1.x }
            let block = "$S\(i)"
            blocks.append("\(block) << EOD\n" + points.map { p in
                let e = p.estimate
                let z = e.z(against: p.exact)
                if let z, z.isFinite { largestZ = max(largestZ, abs(z)) }
                return "\(p.x) \(e.value) \(e.low) \(e.high) \(p.exact.map { "\($0)" } ?? "NaN") \(z.map { $0.isFinite ? "\($0)" : "NaN" } ?? "NaN")"
            }.joined(separator: "\n") + "\nEOD\n")
            // A series of the exact kind whose points all lack an exact value
            // (noisy settings beyond enumeration) is drawn and titled as one without.
            if figure.exactSeries.contains(series), points.contains(where: { $0.exact?.isFinite == true }) {
                // The exact curve as a line, the estimates as points with error bars.
                plots.append("\(block) using 1:5 with lines lw 1.6 dt \(dash) lc rgb '\(color)' notitle")
                plots.append("\(block) using 1:2:3:4 with yerrorbars pt \(point) ps 0.8 lw 1.4 lc rgb '\(color)' title '\(series)'")
                if points.contains(where: { $0.estimate.z(against: $0.exact)?.isFinite == true }) {
                    zPlots.append("\(block) using 1:6 with linespoints pt \(point) ps 0.8 lw 1 dt \(dash) lc rgb '\(color)' notitle")
                }
            } else {
                plots.append("\(block) using 1:2:3:4 with yerrorlines pt \(point) ps 0.8 lw 1.4 dt 3 lc rgb '\(color)' title '\(series) (no exact value)'")
            }
        }
        for (j, (title, values)) in figure.lines.enumerated() {
            let block = "$L\(j)"
            blocks.append("\(block) << EOD\n" + values.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\nEOD\n")
            let dash = ["(8, 6)", "(2, 4)", "(12, 4, 2, 4)"][j % 3], gray = ["#444444", "#777777", "#222222"][j % 3]
            plots.append("\(block) using 1:2 with lines lw 2 dt \(dash) lc rgb '\(gray)' title '\(title)'")
        }
        s += blocks.joined()
        let zPanel = !zPlots.isEmpty
        let zLimit = max(3, (largestZ + 0.5).rounded(.up))
        var upper = ""
        upper += "set title '\(figure.title)' font ',13'\n"
        upper += "set ylabel '\(figure.yLabel)'\n"
        if figure.logX { upper += "set logscale x 2\nset format x '2^{%L}'\n" } else { upper += "unset logscale x\nset format x '%g'\n" }
        if figure.logY { upper += "set logscale y 10\nset format y '10^{%L}'\n" }
        // Room above the data, so that a bound at the top is not drawn on the frame.
        upper += "set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.02\n"
        upper += "set grid lc rgb '#dddddd'\nset border lw 1.2\nset autoscale xfix\n"
        if let range = figure.yRange { upper += "set yrange [\(range.lowerBound):\(range.upperBound)]\n" }
        upper += "set key inside \(figure.keyPosition) box opaque font ',10' spacing 1.1 samplen 3 title 'points: Monte Carlo with 95% CI;  lines: exact' font ',10'\n"
        upper += "set lmargin at screen 0.11\nset rmargin at screen 0.97\n"
        for format in formats {
            s += "reset\nset terminal \(format.terminal)\nset output '\(figure.name).\(format.rawValue)'\n"
            if zPanel {
                s += "set multiplot\n"
                s += upper
                s += "set xlabel ''\nset format x ''\nset tmargin at screen 0.92\nset bmargin at screen 0.34\n"
                s += "plot " + plots.joined(separator: ", \\\n     ") + "\n"
                s += "unset title\nunset key\nunset logscale y\nset format y '%g'\n"
                if figure.logX { s += "set format x '2^{%L}'\n" } else { s += "set format x '%g'\n" }
                s += "set xlabel '\(figure.xLabel)'\nset ylabel 'z = (MC - exact) / se' font ',10'\n"
                s += "set tmargin at screen 0.31\nset bmargin at screen 0.09\n"
                s += "set offsets graph 0.03, graph 0.03, 0, 0\nset yrange [\(-zLimit):\(zLimit)]\nset ytics 2\n"
                s += "plot -2 with filledcurves y=2 fc rgb '#eeeeee' notitle, 0 with lines lc rgb '#888888' notitle, \\\n     "
                    + zPlots.joined(separator: ", \\\n     ") + "\n"
                s += "unset multiplot\n"
            } else {
                s += upper + "set xlabel '\(figure.xLabel)'\n"
                s += "plot " + plots.joined(separator: ", \\\n     ") + "\n"
            }
        }
        s += "unset output\n"
        return s
    }

    /// The gnuplot executable, if one is on PATH.
    public static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/gnuplot"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `script` (already written in `directory`) with gnuplot.
    public static func render(script: String, in directory: URL, gnuplot: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gnuplot)
        process.arguments = [script]
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            throw RewardBitsError.cannotWrite("gnuplot failed on \(script): \(text)")
        }
    }
}
