import Foundation

/// Output formats of `reproduce`.
public enum FigureFormat: String, Sendable, CaseIterable {
    case png, svg, pdf

    var terminal: String {
        switch self {
        case .png: return "pngcairo size 1000,650 enhanced font 'Sans,12'"
        case .svg: return "svg size 1000,650 enhanced font 'Sans,12' background rgb 'white'"
        case .pdf: return "pdfcairo size 7in,4.5in enhanced font 'Sans,10'"
        }
    }
}

/// Self-contained gnuplot scripts (data inline) for the figures.
public enum Gnuplot {
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    public static func script(for figure: FigureData, formats: [FigureFormat]) -> String {
        var s = "# \(figure.title)\n# Regenerate with: gnuplot \(figure.name).gp (in this folder)\n"
        var blocks: [String] = []
        var plots: [String] = []
        for (i, series) in figure.seriesNames.enumerated() {
            let color = palette[i % palette.count]
            let points = figure.points.filter { $0.series == series }.sorted { $0.x < $1.x }
            let block = "$S\(i)"
            blocks.append("\(block) << EOD\n" + points.map { p in
                let e = p.estimate
                return "\(p.x) \(e.value) \(e.low) \(e.high) \(p.exact.map { "\($0)" } ?? "NaN")"
            }.joined(separator: "\n") + "\nEOD\n")
            if figure.exactSeries.contains(series) {
                // The exact curve as a line, the estimates as points with error bars.
                plots.append("\(block) using 1:5 with lines lw 1.6 lc rgb '\(color)' notitle")
                plots.append("\(block) using 1:2:3:4 with yerrorbars pt 7 ps 0.8 lw 1.4 lc rgb '\(color)' title '\(series)'")
            } else {
                plots.append("\(block) using 1:2:3:4 with yerrorlines pt 7 ps 0.8 lw 1.4 dt 3 lc rgb '\(color)' title '\(series) (no exact value)'")
            }
        }
        for (j, (title, values)) in figure.lines.enumerated() {
            let block = "$L\(j)"
            blocks.append("\(block) << EOD\n" + values.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\nEOD\n")
            plots.append("\(block) using 1:2 with lines lw 2 dt 2 lc rgb '#444444' title '\(title)'")
        }
        s += blocks.joined()
        s += "set title '\(figure.title)' font ',13'\n"
        s += "set xlabel '\(figure.xLabel)'\nset ylabel '\(figure.yLabel)'\n"
        if figure.logX { s += "set logscale x 2\nset format x '2^{%L}'\n" }
        if figure.logY { s += "set logscale y 10\nset format y '10^{%L}'\n" }
        s += "set offsets graph 0.03, graph 0.03, 0, 0\n"
        s += "set grid lc rgb '#dddddd'\nset border lw 1.2\n"
        if let range = figure.yRange { s += "set yrange [\(range.lowerBound):\(range.upperBound)]\n" }
        s += "set key inside \(figure.keyPosition) box opaque font ',10' spacing 1.1 samplen 2.5 title 'points: Monte Carlo with 95% CI;  lines: exact' font ',10'\n"
        for format in formats {
            s += "set terminal \(format.terminal)\nset output '\(figure.name).\(format.rawValue)'\n"
            s += "plot " + plots.joined(separator: ", \\\n     ") + "\n"
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
