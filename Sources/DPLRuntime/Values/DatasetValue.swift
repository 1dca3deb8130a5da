import DPLData
import DPLLang

/// A loaded dataset as a script value (kind `dataset`).
public final class DatasetValue: RuntimeValue {
    /// The data.
    public let dataset: Dataset

    /// Wraps a dataset.
    public init(_ dataset: Dataset) { self.dataset = dataset }

    public var typeName: String { RuntimeKinds.dataset.name }

    /// `dataset fashion-mnist (512 images 1×28×28, 10 classes)`.
    public var description: String {
        let shape = dataset.imageShape.map(String.init).joined(separator: "×")
        return "dataset \(dataset.name) (\(dataset.count) images \(shape), \(dataset.classNames.count) classes)"
    }
}

/// The kinds of runtime values, as stage signatures name them.
public enum RuntimeKinds {
    /// A dataset straight from `load`.
    public static let dataset = DataKind("dataset")
    /// Images on their way through a pipeline (after `purify`, `attack`, …), not yet classified.
    public static let batch = DataKind("batch")
    /// Images with predictions: what `classify` produces and `report`/`measure`/`save` read.
    public static let results = DataKind("classified batch")
    /// A loaded or trained model.
    public static let model = DataKind("model")
    /// A table of result rows.
    public static let table = DataKind("table")
}
