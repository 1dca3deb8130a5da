import DPLAttacks
import DPLLang
import DPLTensor

/// What the three `measure` analyses share: the row they fill, the purification they rerun,
/// the snapshots they read and the norm they use.
extension MeasureStage {
    /// `spread`'s classifier: `model=`, else the one `classify` used, else the session's.
    /// `dpl estimate` counts with the same choice.
    static func spreadClassifier(_ args: ArgumentReader, _ record: ImageRecord, _ context: StageContext,
                                 _ state: RuntimeState) throws -> ClassifierSetup {
        if let model = args.value("model") {
            return try ClassifierSetup(arguments: ["model": model, "eval": .string("single")], context: context, state: state)
        }
        if let used = record.defenseClassifier { return used }
        return try ClassifierSetup(arguments: ["eval": .string("single")], context: context, state: state)
    }

    /// `spread draws=`, 8 when absent.
    static func spreadDraws(_ args: ArgumentReader) throws -> Int { try args.optionalInteger("draws") ?? 8 }

    /// `compression pairs=`, 4 when absent.
    static func compressionPairs(_ args: ArgumentReader) throws -> Int { try args.optionalInteger("pairs") ?? 4 }

    /// The row's context: the record's evaluation when it was classified (without the
    /// per-sample attack rows, which `report` already gives), else just the defense.
    static func baseRow(_ record: ImageRecord) -> ResultRow {
        var row: ResultRow
        if let evaluation = record.evaluation {
            row = ReportStage.makeRow(record: record, evaluation: evaluation, label: nil)
            row.samples = []
            row.predictions = []
        } else {
            let defense = record.pendingTransforms.isEmpty ? "none" : record.pendingTransforms.map(\.description).joined(separator: " | ")
            row = ResultRow(label: "", dataset: record.datasetName, defense: defense, rule: nil, cleanAccuracy: nil,
                            robustAccuracy: nil, attackSuccess: nil, threatModel: nil, attack: nil, flags: [], samples: [])
        }
        row.measuredCount = record.count
        row.sampleMeasurements = SampleMeasurements(sampleIDs: record.sampleKeys, labels: record.labels)
        return row
    }

    /// The purification an analysis reruns: the pending one, else the defense `classify` ran.
    static func purification(of record: ImageRecord, for analysis: String) throws -> (transforms: [DefenseTransform], pending: Bool) {
        if !record.pendingTransforms.isEmpty { return (record.pendingTransforms, true) }
        if !record.defenseTransforms.isEmpty { return (record.defenseTransforms, false) }
        throw RuntimeError("`measure \(analysis)` needs a purification to run; put it after `purify` (data | purify t=100 | measure \(analysis)) or after a `classify` that follows `purify`")
    }

    /// The images called `name`, or an error listing the names the record has.
    static func images(named name: String, in record: ImageRecord) throws -> Tensor {
        if let images = record.images(named: name) { return images }
        let hint = name == "adversarial" ? " (`attack` takes the adversarial snapshot; put one before `classify`)"
            : name == "purified" ? " (`purify` followed by `classify` takes the purified snapshot)" : ""
        throw RuntimeError("`measure` found no images called `\(name)` in this batch; it has \(record.imageNames.joined(separator: ", "))\(hint)")
    }

    /// `p=2` or `p=inf`, and the prefix measurement names use.
    static func readNorm(_ args: ArgumentReader) throws -> (AttackNorm, String) {
        guard let value = args.value("p") else { return (.l2, "l2") }
        if value.textValue == "inf" { return (.linf, "linf") }
        if value.integerValue == 2 { return (.l2, "l2") }
        throw RuntimeError("`measure` takes p=2 or p=inf, not p=\(value.literal)")
    }
}
