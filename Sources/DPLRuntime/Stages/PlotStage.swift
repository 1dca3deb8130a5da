import Foundation
import DPLAttacks
import DPLData
import DPLLang

/// `plot y=robust_accuracy "t.svg"` — a line chart of the session's results (every row
/// `report` and `measure` added, as `results` shows them), written atomically as SVG, or as
/// PNG (`"t.png"`) rendered by DPL's own rasterizer and PNG encoder.
///
/// Each row is a point: its x is the number `x=` names (by default the sweep value the row was
/// given with `report … x=t` or `measure … x=t`), its y each name in `y=`. Names are row fields
/// (`x`, `n`, `clean_accuracy`, `robust_accuracy`, `attack_success`, `targeted_success`, as
/// fractions) or measurements (`compression_adversarial_mean`, `l2_clean_purified_mean`, …),
/// declared in `ResultRow.numberVocabulary` so a misspelt name is a `dpl check` error. There
/// is one line per y name and per `series` the rows were given (`series="fixed"`), points
/// sorted by x. An accuracy carries its 95% Wilson interval, drawn as a translucent band.
enum PlotStage {
    static let signature = StageSignature(
        name: "plot", doc: "Draws the session's results as a line chart (SVG or PNG): one line per y name and per series, points sorted by x, accuracies with their 95% Wilson interval as a band.",
        input: .nothing, output: .none,
        parameters: [
            Parameter("path", .string, required: true, doc: "The .svg or .png file; relative paths are under the script's folder.",
                      fileExtensions: ["svg", "png"], writesFile: true),
            Parameter("y", .oneOf([.name, .list(.name)]), required: true, doc: "What to draw: a row field (clean_accuracy, robust_accuracy, attack_success, targeted_success, n) or measurement name (docs/analyses.md lists them), or a list of them.",
                      names: ResultRow.numberVocabulary),
            Parameter("x", .name, default: .name("x"), doc: "The x coordinate: the rows' sweep value (`x=` on report or measure) or another field or measurement.",
                      names: ResultRow.numberVocabulary),
            Parameter("bands", .bool, default: .bool(true), doc: "Whether an accuracy's 95% Wilson interval is drawn as a band around its line (measurements have none)."),
            Parameter("title", .string, doc: "Title above the chart (default: y versus x)."),
            Parameter("xlabel", .string, doc: "Label of the x axis (default: the x name)."),
            Parameter("ylabel", .string, doc: "Label of the y axis (default: the y names)."),
        ], positional: ["path"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { _, arguments, _, context in
            let args = ArgumentReader(stage: "plot", arguments: arguments)
            let path = try state.writablePath(try args.text("path"), base: context.baseDirectory)
            let format = (path as NSString).pathExtension.lowercased()
            guard format == "svg" || format == "png" else {
                throw RuntimeError("`plot` writes SVG or PNG; give it a file name ending in .svg or .png")
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
                                      yLabel: args.optionalText("ylabel"), bands: try args.bool("bands"))
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let sections = EmbeddedProvenance(provenance: ProvenanceDocument.provenance(context: context, files: state.openedFiles),
                                              run: ProvenanceDocument.run(file: try args.text("path"), started: state.started))
            if format == "png" {
                // The same tEXt chunks as `save "x.png"`, so `dpl verify` finds how it was made.
                let png = try chart.png()
                let tagged = ProvenanceEmbedding.png(png, texts: [
                    (ProvenanceEmbedding.provenanceKeyword, try JSONCoding.line(sections.provenance)),
                    (ProvenanceEmbedding.runKeyword, try JSONCoding.line(sections.run)),
                ]) ?? png
                try writeAtomically(tagged, to: path)
            } else {
                try writeAtomically(Array(try ProvenanceEmbedding.svg(chart.svg(), sections: sections).utf8), to: path)
            }
            context.print("saved \(path)")
            return .none
        }
    }

    /// The chart of `rows`: one series per (series name, y name) that has at least one point,
    /// with each point's 95% Wilson interval when y is an accuracy and `bands` is on.
    static func makeChart(rows: [ResultRow], xName: String, yNames: [String], title: String?,
                          xLabel: String?, yLabel: String?, bands: Bool = true) throws -> LineChart {
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
                    .compactMap { row -> (x: Double, y: Double, interval: (lower: Double, upper: Double)?)? in
                        guard let x = row.number(named: xName), let y = row.number(named: yName), x.isFinite, y.isFinite else { return nil }
                        return (x, y, interval(of: row, named: yName))
                    }
                    .sorted { $0.x < $1.x }
                guard !points.isEmpty else { continue }
                let name: String
                switch (seriesName, yNames.count) {
                case (let series?, 1): name = series
                case (let series?, _): name = "\(series) \(yName)"
                case (nil, _): name = yName
                }
                // A y with an interval has one at every point (it is the same field of every row).
                let intervals = points.compactMap(\.interval)
                lines.append(LineChart.Series(name: name, points: points.map { ($0.x, $0.y) },
                                              intervals: bands && intervals.count == points.count ? intervals : nil))
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

    /// The 95% Wilson interval of the accuracy `name` of `row`; nil for anything else
    /// (a measurement, `n`, `x`), which has no interval to draw.
    static func interval(of row: ResultRow, named name: String) -> (lower: Double, upper: Double)? {
        let proportion: Proportion?
        switch name {
        case "clean_accuracy": proportion = row.cleanAccuracy
        case "robust_accuracy": proportion = row.robustAccuracy
        case "attack_success": proportion = row.attackSuccess
        case "targeted_success": proportion = row.targetedSuccess
        default: proportion = nil
        }
        guard let proportion, proportion.total > 0 else { return nil }
        return proportion.wilson95
    }
}
