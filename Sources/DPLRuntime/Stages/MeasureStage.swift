import DPLAttacks
import DPLLang
import DPLTensor

/// `measure distance|spread|compression` — the study's analyses (docs/analyses.md) as a stage.
/// Each run becomes one result row: the summaries as measurements, the per-sample values for
/// `save`, and, when the record was classified, its accuracy (and robustness) — so a `for`
/// sweep gives "robust accuracy and compression versus t" in one `results` table.
///
/// Where the purification comes from: `spread` and `compression` run the record's pending
/// purification when it has one (`data | purify t=100 | measure compression`), otherwise the
/// one `classify` (or `attack`) ran as the defense, which the record keeps
/// (`… | purify seed=fixed | classify | measure compression`). Either way every call uses
/// analysis-phase call indices, so analyses never reuse an evaluation's draws.
enum MeasureStage {
    static let analyses = ["distance", "spread", "compression"]

    /// Where a parameter applies: giving it to another analysis is an error (at check time
    /// for a literal `what`) rather than silently ignored.
    private static func only(_ analyses: String...) -> ParameterCondition { ParameterCondition("what", in: analyses) }

    static let signature = StageSignature(
        name: "measure", doc: "Measures distances between snapshots, spread across random draws, or compression under fixed randomness, and adds the summaries to the session's results.",
        input: .kinds([RuntimeKinds.batch, RuntimeKinds.results]), output: RuntimeKinds.table,
        parameters: [
            Parameter("what", .choice(analyses), required: true, doc: "distance, spread or compression (definitions in docs/analyses.md)."),
            Parameter("from", .name, doc: "distance: the images measured from (default clean).", appliesWhen: only("distance")),
            Parameter("to", .oneOf([.name, .list(.name)]), doc: "distance: the images measured to, or a list of them (default purified).", appliesWhen: only("distance")),
            Parameter("p", .oneOf([.integer, .choice(["inf"])]), minimum: 2, maximum: 2, doc: "distance, compression: the norm, 2 or inf (default 2).", appliesWhen: only("distance", "compression")),
            Parameter("draws", .integer, minimum: 1, maximum: Double(DefenseCallIndex.maxDraw + 1), doc: "spread: random draws of the purification per input (default 8).",
                      appliesWhen: only("spread"), smoke: .atMost(SmokeMode.spreadDraws, whenAbsent: true)),
            Parameter("of", .name, doc: "spread: the images purified (default: current before classify; after it the defense's input, adversarial or clean).",
                      appliesWhen: only("spread")),
            Parameter("model", .any, doc: "spread: the classifier (default: the one classify used, else the `classifier` setting, else the shipped one).",
                      appliesWhen: only("spread")),
            Parameter("radius", .number, minimum: 0, doc: "compression: length of the random perturbations, in the norm p (default 8/255; set it to the attack's eps).",
                      appliesWhen: only("compression")),
            Parameter("pairs", .integer, minimum: 0, doc: "compression: random pairs per sample (default 4).",
                      appliesWhen: only("compression"), smoke: .atMost(SmokeMode.compressionPairs, whenAbsent: true)),
            Parameter("as", .string, doc: "Title of the result row (default: the analysis and its settings)."),
            Parameter("x", .number, doc: "The row's sweep value, the x coordinate `plot` uses (x=t inside `for t in …`)."),
            Parameter("series", .string, doc: "The plot line the row belongs to (series=\"fixed\"); rows without one share one line."),
        ], positional: ["what"])

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, _, context in
            let record = try ImageRecord.from(input, stage: "measure")
            let args = ArgumentReader(stage: "measure", arguments: arguments)
            let what = try args.text("what")
            let settings = SessionSettings(context)
            var row = baseRow(record)
            switch what {
            case "distance": try measureDistances(record, args, settings, into: &row)
            case "spread": try measureSpreads(record, args, settings, context, state, into: &row)
            default: try measureCompressions(record, args, settings, context, into: &row)
            }
            // Summaries come from the per-sample values only, as `dpl merge` recomputes them.
            row.measurements += row.sampleMeasurements.summaries()
            if let label = args.optionalText("as") { row.label = label }
            row.x = args.optionalNumber("x")
            row.series = args.optionalText("series")
            state.results.append(row)
            return .runtime(ResultTable(rows: [row]))
        }
    }
}
