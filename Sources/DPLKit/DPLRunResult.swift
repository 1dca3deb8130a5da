// MARK: - What a run produced

/// Everything a script produced: the result rows its `report` and `measure` stages added, and
/// the lines it printed (the text `dpl run` would show on standard output).
public struct DPLRunResult: Sendable, Equatable {
    /// The result rows in the order they were reported.
    public let rows: [DPLResultRow]
    /// Every printed line in order: result tables, `saved …` lines, training logs.
    public let outputLines: [String]

    /// The printed lines joined with line breaks, as a terminal would show them.
    public var output: String { outputLines.joined(separator: "\n") }
}

// MARK: - Result rows

/// One reported result: an accuracy or robustness evaluation, or a measurement, with what
/// produced it. The fields mirror the rows of `save "x.json"` (docs/builtins.md).
public struct DPLResultRow: Sendable, Equatable {
    /// The row's title (`report as "t={t}"`), or a default built from the pipeline.
    public let label: String
    /// The dataset the samples came from.
    public let dataset: String
    /// The evaluated defense.
    public let defense: String
    /// How verdicts were drawn (`single`, `vote:5`, …); nil for a measurement of images nobody classified.
    public let evaluationRule: String?
    /// The number of samples behind the row.
    public let n: Int
    /// Accuracy on clean images; nil for a measurement of images nobody classified.
    public let cleanAccuracy: DPLProportion?
    /// Accuracy on adversarial images (clean- and adversarial-correct over n); nil when no attack ran.
    public let robustAccuracy: DPLProportion?
    /// Fraction of clean-correct samples the attack flipped; nil when no attack ran.
    public let attackSuccess: DPLProportion?
    /// `end-to-end` or `transfer from classifier`; nil when no attack ran.
    public let threatModel: String?
    /// The attack with its full settings; nil when no attack ran.
    public let attack: String?
    /// Warnings that the number may be too optimistic (docs/analyses.md).
    public let warnings: [DPLWarning]
    /// One row per sample of an attacked evaluation, in batch order (empty otherwise).
    public let samples: [DPLSample]
    /// One row per sample of a clean evaluation (no attack), in batch order (empty after an attack).
    public let predictions: [DPLPrediction]
    /// Summary values of `measure` stages, in the order they were added (`distance_mean`, …).
    public let measurements: [DPLMeasurement]
    /// Per-sample values of a `measure` stage; empty columns when none ran.
    public let sampleMeasurements: DPLSampleMeasurements
    /// The sweep value (`x=t` on `report` or `measure`), nil when not given.
    public let x: Double?
    /// The plot line the row belongs to (`series="fixed"`), nil when not given.
    public let series: String?

    /// The last measurement called `name`, or nil.
    public func measurement(_ name: String) -> Double? {
        measurements.last { $0.name == name }?.value
    }
}

/// A count of successes out of a total with its 95% Wilson score interval.
public struct DPLProportion: Sendable, Equatable {
    /// Samples counted as successes (correct, or flipped for attack success).
    public let successes: Int
    /// Samples counted.
    public let total: Int
    /// `successes / total`, or nil when `total` is 0.
    public let estimate: Double?
    /// Lower end of the 95% Wilson interval ([0, 1] without samples).
    public let lower95: Double
    /// Upper end of the 95% Wilson interval.
    public let upper95: Double
}

/// A warning attached to a result, such as a randomized defense attacked without EOT.
public struct DPLWarning: Sendable, Equatable {
    /// Which check fired (`randomness-without-eot`, `zero-gradients`, …).
    public let kind: String
    /// The sentence the report prints.
    public let message: String
    /// The samples concerned, when the check is per sample.
    public let sampleIDs: [UInt64]
}

/// One evaluated sample of an attacked evaluation.
public struct DPLSample: Sendable, Equatable {
    /// The sample's stable id (a hash of dataset, split and index).
    public let sampleID: UInt64
    /// The true class.
    public let label: Int
    /// The class the defense gave the clean image.
    public let cleanPrediction: Int
    /// The class the defense gave the adversarial image.
    public let adversarialPrediction: Int
    /// Whether the clean verdict was right under the evaluation rule.
    public let cleanCorrect: Bool
    /// Whether both the clean and the adversarial verdicts were right.
    public let robustCorrect: Bool
    /// `‖x' − x‖∞` between adversarial and clean image.
    public let linfDistance: Float
    /// `‖x' − x‖₂` between adversarial and clean image.
    public let l2Distance: Float
    /// `classify outputs=logits`: the clean and the adversarial verdict's logits, one per
    /// class, averaged over the draws; else nil.
    public var cleanLogits: [Float]? = nil
    public var adversarialLogits: [Float]? = nil
    /// `classify outputs=probabilities`: the same for the softmax probabilities.
    public var cleanProbabilities: [Float]? = nil
    public var adversarialProbabilities: [Float]? = nil
}

/// One sample of a clean evaluation: what the defense predicted.
public struct DPLPrediction: Sendable, Equatable {
    /// The sample's stable id.
    public let sampleID: UInt64
    /// The true class.
    public let label: Int
    /// The class the evaluation rule settled on.
    public let prediction: Int
    /// Whether that is right under the rule.
    public let correct: Bool
    /// Each draw's class under `vote:K` or `worst:K` (empty for one draw).
    public let drawPredictions: [Int]
    /// `classify outputs=logits`: one logit per class, averaged over the draws; else nil.
    public var logits: [Float]? = nil
    /// `classify outputs=probabilities`: one softmax probability per class, averaged over the
    /// draws; else nil.
    public var probabilities: [Float]? = nil
}

/// A named summary value of a `measure` stage.
public struct DPLMeasurement: Sendable, Equatable {
    /// The value's name, such as `distance_mean`.
    public let name: String
    /// The value.
    public let value: Double
}

/// The per-sample values of a `measure` stage: one column per quantity, one entry per sample.
public struct DPLSampleMeasurements: Sendable, Equatable {
    /// One measured quantity across the samples.
    public struct Column: Sendable, Equatable {
        /// The quantity's name.
        public let name: String
        /// One value per sample in batch order; nil where the quantity is undefined for that sample.
        public let values: [Double?]
    }

    /// The samples' ids in batch order.
    public let sampleIDs: [UInt64]
    /// The samples' true classes in the same order.
    public let labels: [Int]
    /// The columns in the order they were measured.
    public let columns: [Column]
}
