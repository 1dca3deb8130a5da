import Foundation
import DPLAttacks

// MARK: - Between result rows and their records

extension ResultRecord {
    /// The record `save` writes for `row`.
    init(_ row: ResultRow) {
        let attacked = row.robustAccuracy != nil || row.attackSuccess != nil || row.threatModel != nil
            || row.attack != nil || row.targetRule != nil || row.targetedSuccess != nil
        self.init(
            label: row.label, dataset: row.dataset, defense: row.defense, n: row.n, evaluation: row.rule?.description,
            cleanAccuracy: row.cleanAccuracy.map(ProportionRecord.init),
            attackSummary: attacked ? AttackSummary(
                robustAccuracy: row.robustAccuracy.map(ProportionRecord.init), attackSuccess: row.attackSuccess.map(ProportionRecord.init),
                threatModel: row.threatModel, attack: row.attack, targetRule: row.targetRule,
                targetedSuccess: row.targetedSuccess.map(ProportionRecord.init)) : nil,
            flags: row.flags.map { flag in
                Flag(kind: flag.kind.rawValue, message: flag.message,
                     sampleIDs: flag.sampleIDs.isEmpty ? nil : flag.sampleIDs.map(String.init))
            },
            measurements: Dictionary(row.measurements.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
            sampleMeasurements: row.sampleMeasurements.isEmpty ? nil : SampleMeasurement.records(of: row.sampleMeasurements),
            x: row.x, series: row.series,
            samples: row.samples.map { sample in
                Sample(id: String(sample.sampleID), label: sample.label, cleanPrediction: sample.cleanPrediction,
                       adversarialPrediction: sample.adversarialPrediction, cleanCorrect: sample.cleanCorrect,
                       robustCorrect: sample.robustCorrect, linf: Double(sample.linfDistance), l2: Double(sample.l2Distance),
                       target: sample.target, hasTarget: row.targetRule != nil,
                       logits: sample.outputs?.kind == .logits ? sample.outputs?.clean : nil,
                       adversarialLogits: sample.outputs?.kind == .logits ? sample.outputs?.adversarial : nil,
                       probabilities: sample.outputs?.kind == .probabilities ? sample.outputs?.clean : nil,
                       adversarialProbabilities: sample.outputs?.kind == .probabilities ? sample.outputs?.adversarial : nil)
            },
            predictions: row.predictions.isEmpty ? nil : row.predictions.map { p in
                Prediction(id: String(p.sampleID), label: p.label, prediction: p.prediction, correct: p.correct,
                           draws: p.drawPredictions.isEmpty ? nil : p.drawPredictions,
                           logits: p.outputs?.kind == .logits ? p.outputs?.values : nil,
                           probabilities: p.outputs?.kind == .probabilities ? p.outputs?.values : nil)
            })
    }

    /// The row this record describes. Summaries are read only to be checked: `dpl merge`
    /// recomputes them from the per-sample values and counts.
    /// - Throws: `RuntimeError` naming `place` (`c.json: result 2`) and the malformed field.
    func row(place: String) throws -> ResultRow {
        func malformed(_ problem: String) -> RuntimeError {
            RuntimeError("\(place) \(problem); was the file written by `save` of this DPL version?")
        }
        func sampleID(_ text: String) throws -> UInt64 {
            guard let id = UInt64(text) else { throw malformed("has a sample id `\(text)` that is not a decimal number") }
            return id
        }
        let rule = try evaluation.map { text -> EvaluationRule in
            do { return try EvaluationRule(parsing: text) } catch { throw malformed("has an unknown evaluation rule `\(text)`") }
        }
        let flags = try flags.map { flag -> SanityFlag in
            guard let kind = SanityFlag.Kind(rawValue: flag.kind) else { throw malformed("has an unknown flag kind `\(flag.kind)`") }
            return SanityFlag(kind: kind, message: flag.message, sampleIDs: try (flag.sampleIDs ?? []).map(sampleID))
        }
        let samples = try samples.map { sample in
            SampleRow(sampleID: try sampleID(sample.id), label: sample.label, cleanPrediction: sample.cleanPrediction,
                      adversarialPrediction: sample.adversarialPrediction, cleanCorrect: sample.cleanCorrect,
                      robustCorrect: sample.robustCorrect, linfDistance: Float(sample.linf), l2Distance: Float(sample.l2),
                      target: sample.target, outputs: try sampleOutputs(sample, malformed: malformed))
        }
        var row = ResultRow(
            label: label, dataset: dataset, defense: defense, rule: rule, cleanAccuracy: cleanAccuracy?.proportion,
            robustAccuracy: attackSummary?.robustAccuracy?.proportion, attackSuccess: attackSummary?.attackSuccess?.proportion,
            threatModel: attackSummary?.threatModel, attack: attackSummary?.attack, flags: flags, samples: samples)
        row.predictions = try (predictions ?? []).map { p in
            if p.logits != nil, p.probabilities != nil { throw malformed("has a prediction of sample \(p.id) with both logits and probabilities") }
            let outputs = p.logits.map { ModelOutputs(kind: .logits, values: $0) }
                ?? p.probabilities.map { ModelOutputs(kind: .probabilities, values: $0) }
            return PredictionRow(sampleID: try sampleID(p.id), label: p.label, prediction: p.prediction, correct: p.correct,
                                 drawPredictions: p.draws ?? [], outputs: outputs)
        }
        row.measurements = measurements.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        row.sampleMeasurements = try SampleMeasurement.columns(of: sampleMeasurements ?? [], sampleID: sampleID, error: malformed)
        if row.measurements.contains(where: { $0.name == SampleMeasurements.compressionSkipped }) {
            row.sampleMeasurements.skippedName = SampleMeasurements.compressionSkipped
        }
        if row.cleanAccuracy == nil { row.measuredCount = n }
        row.x = x
        row.series = series
        row.targetRule = attackSummary?.targetRule
        row.targetedSuccess = attackSummary?.targetedSuccess?.proportion
        return row
    }
}

extension ResultRecord {
    /// An attacked sample's model outputs: one kind, given for both verdicts with one value per class each.
    private func sampleOutputs(_ sample: Sample, malformed: (String) -> RuntimeError) throws -> SampleOutputs? {
        let pairs: [(ModelOutputs.Kind, [Float]?, [Float]?)] = [(.logits, sample.logits, sample.adversarialLogits),
                                                              (.probabilities, sample.probabilities, sample.adversarialProbabilities)]
        let given = pairs.filter { $0.1 != nil || $0.2 != nil }
        guard let (kind, clean, adversarial) = given.first else { return nil }
        guard given.count == 1, let clean, let adversarial, clean.count == adversarial.count else {
            throw malformed("has a sample \(sample.id) whose model outputs are not one kind given for both the clean and the adversarial verdict with one value per class")
        }
        return SampleOutputs(kind: kind, clean: clean, adversarial: adversarial)
    }
}

extension ResultRecord.ProportionRecord {
    init(_ p: Proportion) {
        let (low, high) = p.wilson95
        self.init(value: p.estimate, wilson95: [low, high], successes: p.successes, n: p.total)
    }

    /// The count this record holds (its value and interval follow from it).
    var proportion: Proportion { Proportion(successes, of: n) }
}

extension ResultRecord.SampleMeasurement {
    /// One record per sample of `measured`.
    static func records(of measured: SampleMeasurements) -> [ResultRecord.SampleMeasurement] {
        measured.sampleIDs.indices.map { i in
            var values: [String: Double?] = [:]
            var pairs: [String: [Double?]] = [:]
            for column in measured.columns {
                values[column.name] = .some(column.values[i])
                if let columnPairs = column.pairs { pairs[column.name] = columnPairs[i] }
            }
            return ResultRecord.SampleMeasurement(id: String(measured.sampleIDs[i]), label: measured.labels[i], values: values, pairs: pairs)
        }
    }

    /// The columns of `records`, in name order (a JSON object does not keep the order).
    static func columns(of records: [ResultRecord.SampleMeasurement], sampleID: (String) throws -> UInt64,
                        error: (String) -> RuntimeError) throws -> SampleMeasurements {
        guard let first = records.first else { return SampleMeasurements() }
        var measured = SampleMeasurements(sampleIDs: try records.map { try sampleID($0.id) }, labels: records.map(\.label))
        for name in first.values.keys.sorted() {
            let values = try records.map { record -> Double? in
                guard let value = record.values[name] else { throw error("has a sample without `\(name)`") }
                return value
            }
            let pairs = try first.pairs[name].map { _ in
                try records.map { record -> [Double?] in
                    guard let list = record.pairs[name] else { throw error("has a sample without `\(name + pairsSuffix)`") }
                    return list
                }
            }
            measured.append(SampleMeasurements.Column(name: name, values: values, pairs: pairs))
        }
        return measured
    }
}
