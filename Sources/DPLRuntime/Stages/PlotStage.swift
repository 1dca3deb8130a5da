import Foundation
import DPLData
import DPLLang

/// `plot y=robust_accuracy "t.svg"` — a line chart of the session's results (every row
/// `report` and `measure` added, as `results` shows them), written atomically as SVG.
///
/// Each row is a point: its x is the number `x=` names (by default the sweep value the row was
/// given with `report … x=t` or `measure … x=t`), its y each name in `y=`. Names are row fields
/// (`x`, `n`, `clean_accuracy`, `robust_accuracy`, `attack_success`, as fractions) or
/// measurements (`compression_adversarial_mean`, `l2_clean_purified_mean`, …). There is one
/// line per y name and per `series` the rows were given (`series="fixed"`), points sorted by x.
enum PlotStage {
    static let signature = StageSignature(
        name: "plot", doc: "Draws the session's results as a line chart (SVG): one line per y name and per series, points sorted by x.",
        input: .nothing, output: .none,
        parameters: [
            Parameter("path", .string, required: true, doc: "The .svg file; relative paths are under the script's folder.",
                      fileExtensions: ["svg"], writesFile: true),
            Parameter("y", .oneOf([.name, .list(.name)]), required: true, doc: "What to draw: a row field (clean_accuracy, robust_accuracy, attack_success, n) or measurement name, or a list of them."),
            Parameter("x", .name, default: .name("x"), doc: "The x coordinate: the rows' sweep value (`x=` on report or measure) or another field or measurement."),
            Parameter("title", .string, doc: "Title above the chart (default: y versus x)."),
            Parameter("xlabel", .string, doc: "Label of the x axis (default: the x name)."),
            Parameter("ylabel", .string, doc: "Label of the y axis (default: the y names)."),
        ], positional: ["path"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { _, arguments, _, context in
            let args = ArgumentReader(stage: "plot", arguments: arguments)
            let path = try state.writablePath(try args.text("path"), base: context.baseDirectory)
            guard (path as NSString).pathExtension.lowercased() == "svg" else {
                throw RuntimeError("`plot` writes SVG; give it a file name ending in .svg")
            }
            if let shard = try SessionSettings(context).shard() {
                // A shard holds part of every result, so its chart would look complete but be wrong.
                context.print("plot \((path as NSString).lastPathComponent) skipped in shard \(shard): a shard's results are partial; merge the shards with `dpl merge` and plot the merged results")
                return .none
            }
            let xName = try args.text("x")
            let yNames = try args.value("y")?.listValue?.compactMap(\.textValue) ?? [args.text("y")]
            let chart = try makeChart(rows: state.results, xName: xName, yNames: yNames,
                                      title: args.optionalText("title"), xLabel: args.optionalText("xlabel"),
                                      yLabel: args.optionalText("ylabel"))
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let sections = EmbeddedProvenance(provenance: ProvenanceDocument.provenance(context: context, files: state.openedFiles),
                                              run: ProvenanceDocument.run(file: try args.text("path"), started: state.started))
            try writeAtomically(Array(try ProvenanceEmbedding.svg(chart.svg(), sections: sections).utf8), to: path)
            context.print("saved \(path)")
            return .none
        }
    }

    /// The chart of `rows`: one series per (series name, y name) that has at least one point.
    static func makeChart(rows: [ResultRow], xName: String, yNames: [String], title: String?,
                          xLabel: String?, yLabel: String?) throws -> LineChart {
        guard !rows.isEmpty else {
            throw RuntimeError("`plot` has no results to draw; run `report` or `measure` first (inside a `for` sweep, with x=…)")
        }
        guard !yNames.isEmpty else { throw RuntimeError("`plot y=[]` names nothing to draw; give y=robust_accuracy or a list of names") }
        // Beyond ±1e300 the axis arithmetic (range, padding, ticks) overflows to infinity.
        for row in rows {
            for name in [xName] + yNames {
                if let value = row.number(named: name), value.isFinite, abs(value) > LineChart.largestCoordinate {
                    throw RuntimeError("`plot` cannot draw \(name) = \(value) of row `\(row.label)`: coordinates must lie within ±1e300; plot a rescaled value")
                }
            }
        }
        let seriesNames = rows.map(\.series).reduce(into: [String?]()) { if !$0.contains($1) { $0.append($1) } }
        var lines: [LineChart.Series] = []
        for seriesName in seriesNames {
            for yName in yNames {
                let points = rows.filter { $0.series == seriesName }
                    .compactMap { row -> (x: Double, y: Double)? in
                        guard let x = row.number(named: xName), let y = row.number(named: yName), x.isFinite, y.isFinite else { return nil }
                        return (x, y)
                    }
                    .sorted { $0.x < $1.x }
                guard !points.isEmpty else { continue }
                let name: String
                switch (seriesName, yNames.count) {
                case (let series?, 1): name = series
                case (let series?, _): name = "\(series) \(yName)"
                case (nil, _): name = yName
                }
                lines.append(LineChart.Series(name: name, points: points))
            }
        }
        guard !lines.isEmpty else {
            let known = rows.flatMap(\.numberNames).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            let xHint = xName == "x" && !known.contains("x") ? "; give the rows a sweep value with `report … x=t` or `measure … x=t`" : ""
            throw RuntimeError("`plot` found no row with both `\(xName)` and \(yNames.map { "`\($0)`" }.joined(separator: " or ")); the rows have \(known.joined(separator: ", "))\(xHint)")
        }
        let yTitle = yLabel ?? yNames.joined(separator: ", ")
        return LineChart(title: title ?? "\(yTitle) versus \(xLabel ?? xName)", xLabel: xLabel ?? xName,
                         yLabel: yTitle, series: lines)
    }
}
