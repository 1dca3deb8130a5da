import Foundation

/// A line chart rendered as a self-contained SVG document: axes with round-numbered ticks,
/// axis labels, one polyline (with point markers) per series, and a legend. `plot` draws the
/// session's results with it.
struct LineChart {
    /// One line: its legend name and its points, drawn in the given order.
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]

    // MARK: - Layout

    /// The largest magnitude a coordinate may have: the axis range and its padding must stay finite.
    static let largestCoordinate = 1e300

    static let width = 720.0, height = 440.0
    static let left = 80.0, right = 200.0, top = 48.0, bottom = 64.0
    /// Tableau's ten colours: distinct, and readable by most colour-blind viewers.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// The SVG text.
    func svg() -> String {
        let points = series.flatMap(\.points)
        let xAxis = Axis(values: points.map(\.x)), yAxis = Axis(values: points.map(\.y))
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.height - Self.top - Self.bottom
        func px(_ x: Double) -> Double { Self.left + (x - xAxis.low) / (xAxis.high - xAxis.low) * plotWidth }
        func py(_ y: Double) -> Double { Self.top + plotHeight - (y - yAxis.low) / (yAxis.high - yAxis.low) * plotHeight }

        var out: [String] = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(Self.width))" height="\#(f(Self.height))" viewBox="0 0 \#(f(Self.width)) \#(f(Self.height))" font-family="Helvetica, Arial, sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            #"<text x="\#(f(Self.left + plotWidth / 2))" y="24" text-anchor="middle" font-size="15">\#(escape(title))</text>"#,
        ]
        // Grid lines and ticks.
        for tick in xAxis.ticks {
            let x = px(tick)
            out.append(#"<line x1="\#(f(x))" y1="\#(f(Self.top))" x2="\#(f(x))" y2="\#(f(Self.top + plotHeight))" stroke="rgb(229,229,229)"/>"#)
            out.append(#"<text x="\#(f(x))" y="\#(f(Self.top + plotHeight + 18))" text-anchor="middle">\#(xAxis.label(tick))</text>"#)
        }
        for tick in yAxis.ticks {
            let y = py(tick)
            out.append(#"<line x1="\#(f(Self.left))" y1="\#(f(y))" x2="\#(f(Self.left + plotWidth))" y2="\#(f(y))" stroke="rgb(229,229,229)"/>"#)
            out.append(#"<text x="\#(f(Self.left - 8))" y="\#(f(y + 4))" text-anchor="end">\#(yAxis.label(tick))</text>"#)
        }
        out.append(#"<rect x="\#(f(Self.left))" y="\#(f(Self.top))" width="\#(f(plotWidth))" height="\#(f(plotHeight))" fill="none" stroke="rgb(51,51,51)"/>"#)
        out.append(#"<text x="\#(f(Self.left + plotWidth / 2))" y="\#(f(Self.height - 18))" text-anchor="middle">\#(escape(xLabel))</text>"#)
        out.append(#"<text transform="translate(20 \#(f(Self.top + plotHeight / 2))) rotate(-90)" text-anchor="middle">\#(escape(yLabel))</text>"#)
        // Lines, markers and the legend.
        for (index, line) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let coordinates = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out.append(#"<g class="series"><title>\#(escape(line.name))</title>"#)
            out.append(#"<polyline points="\#(coordinates)" fill="none" stroke="\#(colour)" stroke-width="2"/>"#)
            for point in line.points {
                out.append(#"<circle cx="\#(f(px(point.x)))" cy="\#(f(py(point.y)))" r="3" fill="\#(colour)"/>"#)
            }
            out.append("</g>")
            let y = Self.top + 10 + Double(index) * 20
            let x = Self.left + plotWidth + 16
            out.append(#"<line x1="\#(f(x))" y1="\#(f(y))" x2="\#(f(x + 20))" y2="\#(f(y))" stroke="\#(colour)" stroke-width="2"/>"#)
            out.append(#"<text x="\#(f(x + 26))" y="\#(f(y + 4))">\#(escape(line.name))</text>"#)
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

// MARK: - Axes

/// An axis range widened to round numbers, with ticks every 1, 2 or 5 × 10^k (about five of
/// them), as a reader would draw it by hand.
struct Axis {
    let low: Double
    let high: Double
    let step: Double

    init(values: [Double]) {
        // Callers keep coordinates finite and within ±1e300 (`LineChart.largestCoordinate`);
        // anything else is clamped there, so no arithmetic below overflows or traps.
        let limit = LineChart.largestCoordinate
        let usable = values.filter(\.isFinite).map { min(max($0, -limit), limit) }
        var low = usable.min() ?? 0, high = usable.max() ?? 1
        if high - low < 1e-12 * max(1, abs(high)) {
            // One distinct value: centre it in a range of a sensible size.
            // At least 1e-300, so a subnormal value still gets a range with a usable step.
            let pad = low == 0 ? 1 : max(abs(low) * 0.1, 1e-300)
            low -= pad
            high += pad
        }
        let rough = (high - low) / 5
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        self.step = step
        self.low = (low / step).rounded(.down) * step
        self.high = (high / step).rounded(.up) * step
    }

    /// The tick positions from `low` to `high`.
    var ticks: [Double] {
        let count = ((high - low) / step).rounded()
        // `Int(_:)` traps on NaN and infinity; the range is clamped, so this only guards.
        guard count.isFinite, count >= 0, count <= 1_000 else { return [low, high] }
        return (0...Int(count)).map { low + Double($0) * step }
    }

    /// A tick's text with as many decimals as the step needs.
    func label(_ value: Double) -> String {
        let exponent = -log10(step).rounded(.down)
        let decimals = exponent.isFinite ? min(max(0, Int(exponent)), 320) : 0
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
