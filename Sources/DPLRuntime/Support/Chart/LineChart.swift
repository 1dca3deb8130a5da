import Foundation

/// A line chart of result rows: axes with round-numbered ticks, axis labels, one line (with
/// point markers) per series, a translucent band for each series whose points have an
/// interval, and a legend. `plot` draws the session's results with it, as SVG
/// (LineChart+SVG.swift) or as a PNG rendered by DPL's own rasterizer (LineChart+PNG.swift);
/// both use the one layout below, so the two files show the same chart.
struct LineChart {
    /// One line: its legend name and its points, drawn in the given order.
    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        /// The 95% interval of each point's y, in the order of `points`; nil when y has none
        /// (a measurement), and then no band is drawn.
        var intervals: [(lower: Double, upper: Double)]?

        init(name: String, points: [(x: Double, y: Double)], intervals: [(lower: Double, upper: Double)]? = nil) {
            self.name = name
            self.points = points
            self.intervals = intervals
        }
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]

    /// The legend's note under the entries when some series has a band; nil otherwise.
    var bandNote: String? {
        series.contains { $0.intervals != nil } ? "shaded: 95% Wilson interval" : nil
    }

    /// The largest magnitude a coordinate may have: the axis range and its padding must stay finite.
    static let largestCoordinate = 1e300

    /// Tableau's ten colours: distinct, and readable by most colour-blind viewers.
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
    /// How opaque a band is: the line and grid stay visible through it, and overlapping
    /// bands of two series still tell apart.
    static let bandOpacity = 0.2

    /// The colour of series number `index`.
    static func colour(_ index: Int) -> String { palette[index % palette.count] }

    // MARK: - Layout

    /// Where everything goes, in the SVG's units (the PNG scales them by a whole factor).
    struct Layout {
        static let width = 720.0, height = 440.0
        static let left = 80.0, right = 200.0, top = 48.0, bottom = 64.0
        static let plotWidth = width - left - right, plotHeight = height - top - bottom
        /// The legend's left edge and the first entry's centre line.
        static let legendX = left + plotWidth + 16, legendY = top + 10
        /// Distance between legend entries.
        static let legendStep = 20.0

        let xAxis: Axis
        let yAxis: Axis

        /// The axes that hold every point and every interval of `series`.
        init(_ series: [Series]) {
            let points = series.flatMap(\.points)
            let bounds = series.flatMap { $0.intervals?.flatMap { [$0.lower, $0.upper] } ?? [] }
            xAxis = Axis(values: points.map(\.x))
            yAxis = Axis(values: points.map(\.y) + bounds)
        }

        /// The horizontal position of data coordinate `x`.
        func px(_ x: Double) -> Double { Self.left + (x - xAxis.low) / (xAxis.high - xAxis.low) * Self.plotWidth }
        /// The vertical position of data coordinate `y` (up is larger y).
        func py(_ y: Double) -> Double { Self.top + Self.plotHeight - (y - yAxis.low) / (yAxis.high - yAxis.low) * Self.plotHeight }

        /// The centre line of legend entry `index`.
        func legendEntryY(_ index: Int) -> Double { Self.legendY + Double(index) * Self.legendStep }

        /// The outline of `series`' band: along the upper bounds left to right, back along the
        /// lower ones; nil without intervals or with fewer than two points (a single point's
        /// interval is drawn as an error bar instead).
        func band(_ series: Series) -> [(x: Double, y: Double)]? {
            guard let intervals = series.intervals, intervals.count == series.points.count, series.points.count >= 2 else { return nil }
            let upper = zip(series.points, intervals).map { (x: px($0.0.x), y: py($0.1.upper)) }
            let lower = zip(series.points, intervals).map { (x: px($0.0.x), y: py($0.1.lower)) }
            return upper + lower.reversed()
        }

        /// The error bar of a series with one point and an interval: its x and the bar's ends.
        func errorBar(_ series: Series) -> (x: Double, top: Double, bottom: Double)? {
            guard let intervals = series.intervals, intervals.count == 1, let point = series.points.first else { return nil }
            return (px(point.x), py(intervals[0].upper), py(intervals[0].lower))
        }
    }
}
