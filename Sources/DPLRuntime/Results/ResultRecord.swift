import Foundation

// MARK: - One result of a results document

/// One result as `save "x.json"` writes it: what was evaluated, the accuracies with their
/// counts and Wilson intervals, the attack's summary when an attack ran, summary and per-sample
/// measurements, warnings and one row per sample. The keys on disk are flat (`robust_accuracy`
/// beside `label`) as DPL 0.2 wrote them, so older files stay readable; in Swift the attack's
/// fields are grouped in `AttackSummary`, present exactly when an attack ran.
public struct ResultRecord: Codable, Equatable, Sendable {
    /// A count out of a total with its 95% Wilson interval; `value` is null without samples.
    public struct ProportionRecord: Codable, Equatable, Sendable {
        public var value: Double?
        public var wilson95: [Double]
        public var successes: Int
        public var n: Int

        enum CodingKeys: String, CodingKey { case value, wilson95, successes, n }

        // `value` is written as null rather than left out, so every proportion has the same keys.
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(value, forKey: .value)
            try container.encode(wilson95, forKey: .wilson95)
            try container.encode(successes, forKey: .successes)
            try container.encode(n, forKey: .n)
        }
    }

    /// A warning that the number may be too optimistic (docs/analyses.md).
    public struct Flag: Codable, Equatable, Sendable {
        public var kind: String
        public var message: String
        /// The samples concerned, as decimal strings (64-bit ids do not fit a JSON double);
        /// they let `dpl merge` recount a per-sample flag over all shards.
        public var sampleIDs: [String]?

        enum CodingKeys: String, CodingKey { case kind, message, sampleIDs = "sample_ids" }
    }

    /// The attack's part of a result: present exactly when an attack ran.
    public struct AttackSummary: Equatable, Sendable {
        public var robustAccuracy: ProportionRecord?
        public var attackSuccess: ProportionRecord?
        /// `end-to-end` or `transfer from classifier`.
        public var threatModel: String?
        /// The attack with its full settings.
        public var attack: String?
        /// How a targeted attack chose its targets (`target=random`).
        public var targetRule: String?
        public var targetedSuccess: ProportionRecord?
    }

    /// One evaluated sample of an attacked evaluation.
    public struct Sample: Codable, Equatable, Sendable {
        /// The sample's 64-bit id as a decimal string.
        public var id: String
        public var label: Int
        public var cleanPrediction: Int
        public var adversarialPrediction: Int
        public var cleanCorrect: Bool
        public var robustCorrect: Bool
        public var linf: Double
        public var l2: Double
        /// The class a targeted attack aimed at; the key is present (null when the rule gave
        /// the sample no target) exactly in the rows of a targeted attack.
        public var target: Int?
        public var hasTarget: Bool
        /// `classify outputs=logits`: the clean and the adversarial verdict's logits, one per
        /// class, averaged over the draws; else absent.
        public var logits: [Float]?
        public var adversarialLogits: [Float]?
        /// `classify outputs=probabilities`: the same for the softmax probabilities.
        public var probabilities: [Float]?
        public var adversarialProbabilities: [Float]?

        enum CodingKeys: String, CodingKey {
            case id, label, cleanPrediction = "clean_prediction", adversarialPrediction = "adversarial_prediction"
            case cleanCorrect = "clean_correct", robustCorrect = "robust_correct", linf, l2, target
            case logits, adversarialLogits = "adversarial_logits"
            case probabilities, adversarialProbabilities = "adversarial_probabilities"
        }

        public init(id: String, label: Int, cleanPrediction: Int, adversarialPrediction: Int, cleanCorrect: Bool,
                    robustCorrect: Bool, linf: Double, l2: Double, target: Int?, hasTarget: Bool,
                    logits: [Float]? = nil, adversarialLogits: [Float]? = nil,
                    probabilities: [Float]? = nil, adversarialProbabilities: [Float]? = nil) {
            self.id = id
            self.label = label
            self.cleanPrediction = cleanPrediction
            self.adversarialPrediction = adversarialPrediction
            self.cleanCorrect = cleanCorrect
            self.robustCorrect = robustCorrect
            self.linf = linf
            self.l2 = l2
            self.target = target
            self.hasTarget = hasTarget
            self.logits = logits
            self.adversarialLogits = adversarialLogits
            self.probabilities = probabilities
            self.adversarialProbabilities = adversarialProbabilities
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            label = try container.decode(Int.self, forKey: .label)
            cleanPrediction = try container.decode(Int.self, forKey: .cleanPrediction)
            adversarialPrediction = try container.decode(Int.self, forKey: .adversarialPrediction)
            cleanCorrect = try container.decode(Bool.self, forKey: .cleanCorrect)
            robustCorrect = try container.decode(Bool.self, forKey: .robustCorrect)
            linf = try container.decode(Double.self, forKey: .linf)
            l2 = try container.decode(Double.self, forKey: .l2)
            hasTarget = container.contains(.target)
            target = try container.decodeIfPresent(Int.self, forKey: .target)
            logits = try container.decodeIfPresent([Float].self, forKey: .logits)
            adversarialLogits = try container.decodeIfPresent([Float].self, forKey: .adversarialLogits)
            probabilities = try container.decodeIfPresent([Float].self, forKey: .probabilities)
            adversarialProbabilities = try container.decodeIfPresent([Float].self, forKey: .adversarialProbabilities)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(label, forKey: .label)
            try container.encode(cleanPrediction, forKey: .cleanPrediction)
            try container.encode(adversarialPrediction, forKey: .adversarialPrediction)
            try container.encode(cleanCorrect, forKey: .cleanCorrect)
            try container.encode(robustCorrect, forKey: .robustCorrect)
            try container.encode(linf, forKey: .linf)
            try container.encode(l2, forKey: .l2)
            if hasTarget { try container.encode(target, forKey: .target) }
            try container.encodeIfPresent(logits, forKey: .logits)
            try container.encodeIfPresent(adversarialLogits, forKey: .adversarialLogits)
            try container.encodeIfPresent(probabilities, forKey: .probabilities)
            try container.encodeIfPresent(adversarialProbabilities, forKey: .adversarialProbabilities)
        }
    }

    /// One sample of a clean evaluation: the defense's prediction (and each draw's, when the
    /// rule drew several times).
    public struct Prediction: Codable, Equatable, Sendable {
        /// The sample's 64-bit id as a decimal string.
        public var id: String
        public var label: Int
        public var prediction: Int
        public var correct: Bool
        /// Each draw's class under `vote:K` or `worst:K`; absent for one draw.
        public var draws: [Int]?
        /// `classify outputs=logits`: one logit per class, averaged over the draws; else absent.
        public var logits: [Float]?
        /// `classify outputs=probabilities`: one softmax probability per class, averaged over
        /// the draws; else absent.
        public var probabilities: [Float]?
    }

    /// One sample's values of the `measure` stages: a key per quantity (null where undefined)
    /// and, for quantities with several values per sample, `NAME_pairs` lists.
    public struct SampleMeasurement: Codable, Equatable, Sendable {
        public var id: String
        public var label: Int
        public var values: [String: Double?]
        public var pairs: [String: [Double?]]

        /// The key suffix of a per-sample list of values (`compression_random_pairs`).
        public static let pairsSuffix = "_pairs"

        public init(id: String, label: Int, values: [String: Double?], pairs: [String: [Double?]]) {
            self.id = id
            self.label = label
            self.values = values
            self.pairs = pairs
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: NamedKey.self)
            id = try container.decode(String.self, forKey: NamedKey("id"))
            label = try container.decode(Int.self, forKey: NamedKey("label"))
            values = [:]
            pairs = [:]
            for key in container.allKeys where key.stringValue != "id" && key.stringValue != "label" {
                if key.stringValue.hasSuffix(Self.pairsSuffix) {
                    pairs[String(key.stringValue.dropLast(Self.pairsSuffix.count))] = try container.decode([Double?].self, forKey: key)
                } else {
                    values[key.stringValue] = .some(try container.decodeIfPresent(Double.self, forKey: key))
                }
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: NamedKey.self)
            try container.encode(id, forKey: NamedKey("id"))
            try container.encode(label, forKey: NamedKey("label"))
            for (name, value) in values { try container.encode(value, forKey: NamedKey(name)) }
            for (name, list) in pairs { try container.encode(list, forKey: NamedKey(name + Self.pairsSuffix)) }
        }
    }

    public var label: String
    public var dataset: String
    public var defense: String
    /// The number of samples behind the result.
    public var n: Int
    /// How verdicts were drawn (`single`, `vote:5`); nil for a measurement of unclassified images.
    public var evaluation: String?
    public var cleanAccuracy: ProportionRecord?
    public var attackSummary: AttackSummary?
    public var flags: [Flag]
    /// Summary values of `measure` stages, by name.
    public var measurements: [String: Double]
    /// Per-sample values of `measure` stages; nil when none ran.
    public var sampleMeasurements: [SampleMeasurement]?
    /// The sweep value (`x=t`) and the plot line (`series="fixed"`).
    public var x: Double?
    public var series: String?
    /// One row per attacked sample.
    public var samples: [Sample]
    /// One row per sample of a clean evaluation; absent after an attack (and in DPL 0.2 files).
    public var predictions: [Prediction]?

    enum CodingKeys: String, CodingKey {
        case label, dataset, defense, n, evaluation, cleanAccuracy = "clean_accuracy", flags, measurements
        case sampleMeasurements = "sample_measurements", x, series, samples, predictions
        case robustAccuracy = "robust_accuracy", attackSuccess = "attack_success", threatModel = "threat_model"
        case attack, targetRule = "target_rule", targetedSuccess = "targeted_success"
    }

    public init(label: String, dataset: String, defense: String, n: Int, evaluation: String?, cleanAccuracy: ProportionRecord?,
                attackSummary: AttackSummary?, flags: [Flag], measurements: [String: Double],
                sampleMeasurements: [SampleMeasurement]?, x: Double?, series: String?, samples: [Sample],
                predictions: [Prediction]? = nil) {
        self.predictions = predictions
        self.label = label
        self.dataset = dataset
        self.defense = defense
        self.n = n
        self.evaluation = evaluation
        self.cleanAccuracy = cleanAccuracy
        self.attackSummary = attackSummary
        self.flags = flags
        self.measurements = measurements
        self.sampleMeasurements = sampleMeasurements
        self.x = x
        self.series = series
        self.samples = samples
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        label = try c.decode(String.self, forKey: .label)
        dataset = try c.decode(String.self, forKey: .dataset)
        defense = try c.decode(String.self, forKey: .defense)
        n = try c.decode(Int.self, forKey: .n)
        evaluation = try c.decodeIfPresent(String.self, forKey: .evaluation)
        cleanAccuracy = try c.decodeIfPresent(ProportionRecord.self, forKey: .cleanAccuracy)
        flags = try c.decodeIfPresent([Flag].self, forKey: .flags) ?? []
        measurements = try c.decodeIfPresent([String: Double].self, forKey: .measurements) ?? [:]
        sampleMeasurements = try c.decodeIfPresent([SampleMeasurement].self, forKey: .sampleMeasurements)
        x = try c.decodeIfPresent(Double.self, forKey: .x)
        series = try c.decodeIfPresent(String.self, forKey: .series)
        samples = try c.decodeIfPresent([Sample].self, forKey: .samples) ?? []
        predictions = try c.decodeIfPresent([Prediction].self, forKey: .predictions)
        let attackKeys: [CodingKeys] = [.robustAccuracy, .attackSuccess, .threatModel, .attack, .targetRule, .targetedSuccess]
        if attackKeys.contains(where: c.contains) {
            attackSummary = AttackSummary(
                robustAccuracy: try c.decodeIfPresent(ProportionRecord.self, forKey: .robustAccuracy),
                attackSuccess: try c.decodeIfPresent(ProportionRecord.self, forKey: .attackSuccess),
                threatModel: try c.decodeIfPresent(String.self, forKey: .threatModel),
                attack: try c.decodeIfPresent(String.self, forKey: .attack),
                targetRule: try c.decodeIfPresent(String.self, forKey: .targetRule),
                targetedSuccess: try c.decodeIfPresent(ProportionRecord.self, forKey: .targetedSuccess))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(defense, forKey: .defense)
        try c.encode(n, forKey: .n)
        try c.encodeIfPresent(evaluation, forKey: .evaluation)
        try c.encodeIfPresent(cleanAccuracy, forKey: .cleanAccuracy)
        try c.encode(flags, forKey: .flags)
        try c.encode(measurements, forKey: .measurements)
        try c.encodeIfPresent(sampleMeasurements, forKey: .sampleMeasurements)
        try c.encodeIfPresent(x, forKey: .x)
        try c.encodeIfPresent(series, forKey: .series)
        try c.encode(samples, forKey: .samples)
        try c.encodeIfPresent(predictions, forKey: .predictions)
        if let summary = attackSummary {
            try c.encodeIfPresent(summary.robustAccuracy, forKey: .robustAccuracy)
            try c.encodeIfPresent(summary.attackSuccess, forKey: .attackSuccess)
            try c.encodeIfPresent(summary.threatModel, forKey: .threatModel)
            try c.encodeIfPresent(summary.attack, forKey: .attack)
            try c.encodeIfPresent(summary.targetRule, forKey: .targetRule)
            try c.encodeIfPresent(summary.targetedSuccess, forKey: .targetedSuccess)
        }
    }
}

/// A coding key for objects whose keys are data (measurement names).
struct NamedKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
