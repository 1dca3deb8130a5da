import Foundation
import Testing
import DPLAttacks
@testable import DPLRuntime

/// `plot`'s series building and the SVG line chart, on hand-made result rows.
@Suite("plot stage")
struct PlotStageTests {
    func row(_ label: String, x: Double?, series: String?, robust: Int?, compression: Double?) -> ResultRow {
        var row = ResultRow(label: label, dataset: "d", defense: "purify", rule: .single, cleanAccuracy: Proportion(8, of: 10),
                            robustAccuracy: robust.map { Proportion($0, of: 10) }, attackSuccess: robust.map { Proportion(8 - $0, of: 8) },
                            threatModel: nil, attack: nil, flags: [], samples: [])
        row.x = x
        row.series = series
        if let compression { row.measurements = [("compression_adversarial_mean", compression)] }
        return row
    }

    @Test func oneLinePerSeriesWithPointsSortedByX() throws {
        let rows = [
            row("fixed t=100", x: 100, series: "fixed", robust: 6, compression: 0.5),
            row("fixed t=10", x: 10, series: "fixed", robust: 2, compression: 0.9),
            row("random t=10", x: 10, series: "random", robust: 3, compression: nil),
            row("random t=100", x: 100, series: "random", robust: 7, compression: nil),
        ]
        let chart = try PlotStage.makeChart(rows: rows, xName: "x", yNames: ["robust_accuracy"], title: nil, xLabel: "t", yLabel: nil)
        #expect(chart.series.map(\.name) == ["fixed", "random"])
        #expect(chart.series[0].points.map(\.x) == [10, 100])
        #expect(chart.series[0].points.map(\.y) == [0.2, 0.6])

        let both = try PlotStage.makeChart(rows: rows, xName: "x", yNames: ["robust_accuracy", "compression_adversarial_mean"],
                                           title: nil, xLabel: nil, yLabel: nil)
        #expect(both.series.map(\.name) == ["fixed robust_accuracy", "fixed compression_adversarial_mean", "random robust_accuracy"],
                "a series without values for a y name draws no empty line")
    }

    @Test func missingXSaysHowToGiveIt() {
        let rows = [row("a", x: nil, series: nil, robust: 5, compression: nil)]
        #expect {
            try PlotStage.makeChart(rows: rows, xName: "x", yNames: ["robust_accuracy"], title: nil, xLabel: nil, yLabel: nil)
        } throws: { error in
            let text = "\(error)"
            return text.contains("x=t") && text.contains("robust_accuracy")
        }
        #expect(throws: RuntimeError.self) {
            try PlotStage.makeChart(rows: [], xName: "x", yNames: ["robust_accuracy"], title: nil, xLabel: nil, yLabel: nil)
        }
    }

    @Test func svgHasAxesTicksLabelsLinesAndLegend() throws {
        let chart = LineChart(title: "robust accuracy versus t", xLabel: "t", yLabel: "robust <accuracy>", series: [
            .init(name: "fixed", points: [(10, 0.2), (100, 0.6)]),
            .init(name: "random & eot", points: [(10, 0.3), (100, 0.7)]),
        ])
        let svg = chart.svg()
        #expect(isWellFormedXML(svg), "well-formed XML, with the label's < and & escaped")
        #expect(!isWellFormedXML("<svg><g></svg>") && !isWellFormedXML("<svg><text>a & b</text></svg>"), "the check itself rejects bad XML")
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains(">fixed</text>") && svg.contains(">random &amp; eot</text>"))
        #expect(svg.contains(">robust &lt;accuracy&gt;</text>") && svg.contains(">t</text>"))
        #expect(svg.contains(">100</text>") && svg.contains(">0.6</text>"), "round ticks cover the data")
    }

    @Test func accuraciesCarryTheirWilsonIntervalAndMeasurementsNone() throws {
        let rows = [
            row("t=10", x: 10, series: nil, robust: 2, compression: 0.9),
            row("t=100", x: 100, series: nil, robust: 6, compression: 0.5),
        ]
        let chart = try PlotStage.makeChart(rows: rows, xName: "x", yNames: ["robust_accuracy", "compression_adversarial_mean"],
                                            title: nil, xLabel: nil, yLabel: nil)
        let robust = try #require(chart.series.first { $0.name == "robust_accuracy" }?.intervals)
        #expect(robust.count == 2)
        #expect(robust[0] == Proportion(2, of: 10).wilson95 && robust[1] == Proportion(6, of: 10).wilson95, "in x order")
        #expect(chart.series.first { $0.name == "compression_adversarial_mean" }?.intervals == nil, "a measurement has no interval")
        #expect(chart.bandNote != nil)

        let plain = try PlotStage.makeChart(rows: rows, xName: "x", yNames: ["robust_accuracy"], title: nil, xLabel: nil,
                                            yLabel: nil, bands: false)
        #expect(plain.series.allSatisfy { $0.intervals == nil } && plain.bandNote == nil, "bands=false draws none")
        #expect(!plain.svg().contains("<polygon") && !plain.svg().contains("Wilson"))
    }

    @Test func svgDrawsEachBandBetweenTheBoundsInTheSeriesColour() throws {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "fixed", points: [(0, 0.5), (10, 0.7)], intervals: [(0.4, 0.6), (0.6, 0.8)]),
            .init(name: "distance", points: [(0, 0.3), (10, 0.2)]),
        ])
        let svg = chart.svg()
        #expect(isWellFormedXML(svg))
        let bands = svg.split(separator: "\n").filter { $0.contains("class=\"band\"") }
        #expect(bands.count == 1, "only the series with intervals has a band")
        let layout = LineChart.Layout(chart.series)
        let corners = [(0.0, 0.6), (10, 0.8), (10, 0.6), (0, 0.4)].map { String(format: "%.1f,%.1f", layout.px($0.0), layout.py($0.1)) }
        #expect(bands.first?.contains("points=\"\(corners.joined(separator: " "))\"") == true, "upper bounds left to right, lower back: \(bands)")
        #expect(bands.first?.contains("fill=\"\(LineChart.palette[0])\" fill-opacity=\"0.2\"") == true)
        #expect(svg.contains(">shaded: 95% Wilson interval</text>"), "the legend says what the band is")
        let band = try #require(svg.range(of: "class=\"band\"")), line = try #require(svg.range(of: "<polyline"))
        #expect(band.lowerBound < line.lowerBound, "bands lie under the lines")

        let single = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [
            .init(name: "one", points: [(1, 0.5)], intervals: [(0.3, 0.7)]),
        ]).svg()
        #expect(!single.contains("class=\"band\"") && single.contains("class=\"interval\""), "one point: an error bar")
    }

    @Test func axisTicksAreRoundAndCoverTheData() {
        let axis = Axis(values: [0.013, 0.98])
        #expect(axis.low == 0 && abs(axis.high - 1) < 1e-12 && abs(axis.step - 0.2) < 1e-12)
        #expect(axis.ticks.count == 6)
        #expect(axis.label(0.4) == "0.4")
        let single = Axis(values: [5, 5])
        #expect(single.low < 5 && single.high > 5)
        let wide = Axis(values: [10, 1000])
        #expect(wide.low == 0 && wide.high == 1000 && wide.step == 200 && wide.label(400) == "400")
    }
}

/// Coordinates the axis arithmetic cannot hold (issue 17): rows at x = ±1e308 trapped in
/// `Axis.ticks` (Int of NaN).
@Suite("plot with extreme coordinates")
struct PlotExtremeCoordinateTests {
    func row(x: Double, robust: Int) -> ResultRow {
        var row = ResultRow(label: "x=\(x)", dataset: "d", defense: "purify", rule: .single, cleanAccuracy: Proportion(8, of: 10),
                            robustAccuracy: Proportion(robust, of: 10), attackSuccess: Proportion(8 - robust, of: 8),
                            threatModel: nil, attack: nil, flags: [], samples: [])
        row.x = x
        return row
    }

    @Test func coordinatesBeyondTheAxisRangeAreRefused() {
        let rows = [row(x: -1e308, robust: 2), row(x: 1e308, robust: 6)]
        #expect {
            try PlotStage.makeChart(rows: rows, xName: "x", yNames: ["robust_accuracy"], title: nil, xLabel: nil, yLabel: nil)
        } throws: { error in
            "\(error)" == "`plot` cannot draw x = -1e+308 of row `x=-1e+308`: coordinates must lie within ±1e300; plot a rescaled value"
        }
    }

    @Test func axisNeverTrapsOnExtremeValues() {
        for values in [[-1e308, 1e308], [1.7e308], [-.infinity, .nan, 3], [1e300, -1e300], [4.9e-324, 1e-323]] {
            let axis = Axis(values: values)
            #expect(axis.low.isFinite && axis.high.isFinite && axis.step.isFinite, "\(values)")
            #expect(!axis.ticks.isEmpty, "\(values)")
        }
        let svg = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "s", points: [(-1e300, 0), (1e300, 1)])]).svg()
        #expect(isWellFormedXML(svg))
    }
}
