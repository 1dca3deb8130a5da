import DPLLang
import DPLNN

/// A model as a script value (kind `model`): what `model "file"` and `train` produce.
public final class ModelValue: RuntimeValue {
    /// The network.
    public let model: any Module
    /// Its architecture.
    public let architecture: Architecture
    /// Where it was read from or last written to; `nil` for a model only in memory.
    public var path: String?
    /// Metadata stored with the weights (training settings, accuracy, schedule).
    public var metadata: [String: String]

    /// Wraps a model.
    public init(model: any Module, architecture: Architecture, path: String?, metadata: [String: String]) {
        self.model = model
        self.architecture = architecture
        self.path = path
        self.metadata = metadata
    }

    /// The model as a classifier, if it is one.
    public var classifier: (any ImageClassifier)? { model as? any ImageClassifier }
    /// The model as a noise predictor, if it is one.
    public var noisePredictor: (any NoisePredictor)? { model as? any NoisePredictor }

    public var typeName: String { RuntimeKinds.model.name }

    /// `model cnn (1701130 parameters) from models/x.safetensors`.
    public var description: String {
        let count = model.parameters().reduce(0) { $0 + $1.value.count }
        return "model \(architecture.familyName) (\(count) parameters)" + (path.map { " from \($0)" } ?? "")
    }
}
