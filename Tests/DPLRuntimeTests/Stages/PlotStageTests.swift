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
