import DPLAttacks
import DPLLang

/// `report as "t={t}"` — turns a classified record into a result row, prints it, and adds it
/// to the session's results (`results` returns them all, e.g. after a sweep).
enum ReportStage {
    static let signature = StageSignature(
        name: "report", doc: "Reports clean accuracy (and robust accuracy and attack success after an attack) with 95% Wilson intervals, the threat model, the attack and defense settings and sanity warnings.",
        input: .kinds([RuntimeKinds.results]), output: RuntimeKinds.table,
        parameters: [
            Parameter("as", .string, doc: "Title of the result row (default: the defense)."),
            Parameter("x", .number, doc: "The row's sweep value, the x coordinate `plot` uses (x=t inside `for t in …`)."),
            Parameter("series", .string, doc: "The plot line the row belongs to (series=\"fixed\"); rows without one share one line."),
        ],
        positional: ["as"])

    static let resultsSignature = StageSignature(
        name: "results", doc: "Every result reported so far in this session, as one table (for sweeps).",
        input: .nothing, output: RuntimeKinds.table)

    static func register(into registry: inout StageRegistry, state: RuntimeState) throws {
        try registry.register(signature) { input, arguments, _, _ in
            guard let record = input?.runtimeValue(as: ImageRecord.self), let evaluation = record.evaluation else {
                throw RuntimeError("`report` needs classified images; put `classify` before it")
            }
            let args = ArgumentReader(stage: "report", arguments: arguments)
            var row = makeRow(record: record, evaluation: evaluation, label: args.optionalText("as"))
            row.x = args.optionalNumber("x")
            row.series = args.optionalText("series")
            state.results.append(row)
            return .runtime(ResultTable(rows: [row]))
        }
        try registry.register(resultsSignature) { _, _, _, _ in
            .runtime(ResultTable(rows: state.results, alwaysTable: true))
        }
    }

    static func makeRow(record: ImageRecord, evaluation: Evaluation, label: String?) -> ResultRow {
        switch evaluation {
        case .accuracy(let result):
            var row = ResultRow(label: label ?? result.defense, dataset: record.datasetName, defense: result.defense,
                                rule: result.rule, cleanAccuracy: result.accuracy, robustAccuracy: nil, attackSuccess: nil,
                                threatModel: nil, attack: nil, flags: [], samples: [])
            row.predictions = result.verdicts.indices.map { i in
                let verdict = result.verdicts[i]
                let outputs = result.outputs.map { ModelOutputs(kind: $0, values: $0 == .logits ? verdict.logits : verdict.probabilities) }
                return PredictionRow(sampleID: result.sampleIDs[i], label: result.labels[i], prediction: verdict.prediction,
                                     correct: verdict.correct, drawPredictions: verdict.drawPredictions.count > 1 ? verdict.drawPredictions : [],
                                     outputs: outputs)
            }
            return row
        case .robustness(let result):
            let targetText = result.targetRule.map { " \($0)" } ?? ""
            var row = ResultRow(label: label ?? result.attack + targetText, dataset: record.datasetName, defense: result.defense,
                                rule: result.rule, cleanAccuracy: result.cleanAccuracy, robustAccuracy: result.robustAccuracy,
                                attackSuccess: result.attackSuccessRate, threatModel: result.threatModel.description,
                                attack: result.attack + targetText, flags: result.flags, samples: result.rows)
            row.targetRule = result.targetRule?.description
            row.targetedSuccess = result.targetedSuccessRate
            return row
        }
    }
}
