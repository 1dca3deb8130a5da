/// One sample of a clean evaluation (`classify` without `attack`): what the defense predicted,
/// so predictions can be compared sample by sample with another tool or another run.
public struct PredictionRow: Equatable, Sendable {
    /// The sample's id.
    public var sampleID: UInt64
    /// The true label.
    public var label: Int
    /// The class the evaluation rule settled on.
    public var prediction: Int
    /// Whether the verdict is right under the rule.
    public var correct: Bool
    /// Each draw's class when the rule drew more than once (`vote:K`, `worst:K`); empty for one draw.
    public var drawPredictions: [Int]
    /// The logits or probabilities `classify outputs=` asked for; nil when not asked.
    public var outputs: ModelOutputs?

    public init(sampleID: UInt64, label: Int, prediction: Int, correct: Bool, drawPredictions: [Int] = [],
                outputs: ModelOutputs? = nil) {
        self.outputs = outputs
        self.sampleID = sampleID
        self.label = label
        self.prediction = prediction
        self.correct = correct
        self.drawPredictions = drawPredictions
    }
}
