import DPLAttacks
import DPLLang
import DPLRuntime

// MARK: - From runtime values to public structs

// The public structs copy every field, so nothing of DPLRuntime or DPLAttacks appears in
// DPLKit's interface and embedders only depend on this module.

extension DPLResultRow {
    init(_ row: ResultRow) {
        self.init(label: row.label, dataset: row.dataset, defense: row.defense,
                  evaluationRule: row.rule?.description, n: row.n,
                  cleanAccuracy: row.cleanAccuracy.map(DPLProportion.init),
                  robustAccuracy: row.robustAccuracy.map(DPLProportion.init),
                  attackSuccess: row.attackSuccess.map(DPLProportion.init),
                  threatModel: row.threatModel, attack: row.attack,
                  warnings: row.flags.map(DPLWarning.init), samples: row.samples.map(DPLSample.init),
                  predictions: row.predictions.map {
                      DPLPrediction(sampleID: $0.sampleID, label: $0.label, prediction: $0.prediction, correct: $0.correct,
                                    drawPredictions: $0.drawPredictions,
                                    logits: $0.outputs?.kind == .logits ? $0.outputs?.values : nil,
                                    probabilities: $0.outputs?.kind == .probabilities ? $0.outputs?.values : nil)
                  },
                  measurements: row.measurements.map { DPLMeasurement(name: $0.name, value: $0.value) },
                  sampleMeasurements: DPLSampleMeasurements(row.sampleMeasurements),
                  x: row.x, series: row.series)
    }
}

extension DPLProportion {
    init(_ proportion: Proportion) {
        let interval = proportion.wilson95
        self.init(successes: proportion.successes, total: proportion.total, estimate: proportion.estimate,
                  lower95: interval.lower, upper95: interval.upper)
    }
}

extension DPLWarning {
    init(_ flag: SanityFlag) {
        self.init(kind: flag.kind.rawValue, message: flag.message, sampleIDs: flag.sampleIDs)
    }
}

extension DPLSample {
    init(_ row: SampleRow) {
        self.init(sampleID: row.sampleID, label: row.label, cleanPrediction: row.cleanPrediction,
                  adversarialPrediction: row.adversarialPrediction, cleanCorrect: row.cleanCorrect,
                  robustCorrect: row.robustCorrect, linfDistance: row.linfDistance, l2Distance: row.l2Distance,
                  cleanLogits: row.outputs?.kind == .logits ? row.outputs?.clean : nil,
                  adversarialLogits: row.outputs?.kind == .logits ? row.outputs?.adversarial : nil,
                  cleanProbabilities: row.outputs?.kind == .probabilities ? row.outputs?.clean : nil,
                  adversarialProbabilities: row.outputs?.kind == .probabilities ? row.outputs?.adversarial : nil)
    }
}

extension DPLSampleMeasurements {
    init(_ measurements: SampleMeasurements) {
        self.init(sampleIDs: measurements.sampleIDs, labels: measurements.labels,
                  columns: measurements.columns.map { Column(name: $0.name, values: $0.values) })
    }
}

extension DPLDiagnostic {
    init(_ diagnostic: Diagnostic) {
        self.init(file: diagnostic.span.file, line: diagnostic.span.line, column: diagnostic.span.column,
                  message: diagnostic.fullMessage)
    }
}

extension DPLError {
    init(kind: Kind, report: DiagnosticReport, outputLines: [String]) {
        self.init(kind: kind, diagnostics: report.diagnostics.map(DPLDiagnostic.init), outputLines: outputLines,
                  description: report.rendered)
    }
}
