import DPLAttacks
import DPLData
import DPLLang
import DPLTensor

/// The record that flows through a pipeline: which samples, their labels, the clean images,
/// the current images, the named snapshots stages took (`adversarial`, `purified`, …), and,
/// once `classify` ran, the evaluation. Analyses read snapshots by name.
///
/// Its kind is `batch` until it carries an evaluation and `results` after.
public final class ImageRecord: RuntimeValue {
    /// The dataset the samples came from.
    public let datasetName: String
    /// Stable sample ids; random noise is keyed by them.
    public let ids: [SampleID]
    /// True labels.
    public let labels: [Int]
    /// Class names, indexed by label.
    public let classNames: [String]
    /// The images as loaded, `[N, C, H, W]` in [0, 1].
    public let clean: Tensor
    /// The images as the last stage left them.
    public var current: Tensor
    /// Snapshots by name, in the order they were taken.
    public private(set) var snapshots: [(name: String, images: Tensor)] = []
    /// Image transforms (purification) waiting to run, in order. They stay lazy so that
    /// `classify` can run them as part of the defense — once per draw of its evaluation rule —
    /// and `attack` can differentiate through them; stages that need pixels materialize them.
    public var pendingTransforms: [DefenseTransform] = []
    /// What `classify` found; `nil` before.
    public var evaluation: Evaluation?
    /// The transforms `classify` (or `attack`) ran as the defense, kept after they stop being
    /// pending so analyses after `classify` (`measure spread`, `measure compression`) can run
    /// the same purification again.
    public var defenseTransforms: [DefenseTransform] = []
    /// The classifier `classify` used, for analyses that classify again (`measure spread`).
    var defenseClassifier: ClassifierSetup?
    /// Lines describing what the pipeline did so far (`purify t=100 sampler=ddpm seed=fixed grad=full`).
    public var trail: [String] = []

    /// A record of a dataset's samples with `current` = `clean`.
    public init(dataset: Dataset) {
        datasetName = dataset.name
        ids = dataset.ids
        labels = dataset.labels
        classNames = dataset.classNames
        clean = dataset.images
        current = dataset.images
    }

    /// A copy sharing the images (tensors are copy-on-write).
    public init(copying other: ImageRecord) {
        datasetName = other.datasetName
        ids = other.ids
        labels = other.labels
        classNames = other.classNames
        clean = other.clean
        current = other.current
        snapshots = other.snapshots
        evaluation = other.evaluation
        pendingTransforms = other.pendingTransforms
        defenseTransforms = other.defenseTransforms
        defenseClassifier = other.defenseClassifier
        trail = other.trail
    }

    /// The number of samples.
    public var count: Int { ids.count }

    /// Records `images` under `name`, replacing an earlier snapshot of the same name.
    public func takeSnapshot(_ name: String, _ images: Tensor) {
        snapshots.removeAll { $0.name == name }
        snapshots.append((name, images))
    }

    /// The images called `name`: `clean`, `current`, or a snapshot.
    public func images(named name: String) -> Tensor? {
        switch name {
        case "clean": return clean
        case "current": return current
        default: return snapshots.last { $0.name == name }?.images
        }
    }

    /// Every name `images(named:)` accepts.
    public var imageNames: [String] { ["clean", "current"] + snapshots.map(\.name) }

    public var typeName: String { (evaluation == nil ? RuntimeKinds.batch : RuntimeKinds.results).name }

    public var description: String {
        var text = "\(typeName) of \(count) \(datasetName) images"
        if !snapshots.isEmpty { text += " (snapshots: \(snapshots.map(\.name).joined(separator: ", ")))" }
        if let evaluation { text += "\n" + evaluation.summaryLines.joined(separator: "\n") }
        return text
    }
}
