import Foundation
import DPLTensor

// MARK: - Training checkpoints

/// A training checkpoint: a DPL model file (the weights with their architecture metadata,
/// `ModelFile`) that also holds the optimizer's state under `optimizer.<name>`, a weight average
/// under `average.<name>` when the trainer keeps one, and how far training got in the metadata
/// (`dpl.training.epochs_done` or `dpl.training.steps_done`). Loading it as a model reads only
/// the weights, so a checkpoint is also a usable model file.
public struct TrainingCheckpoint {
    /// The name prefix of the optimizer's state tensors.
    public static let optimizerPrefix = "optimizer."
    /// The name prefix of the weight average's tensors.
    public static let averagePrefix = "average."
    /// The metadata key of finished classifier epochs.
    public static let epochsDoneKey = "dpl.training.epochs_done"
    /// The metadata key of finished diffusion steps.
    public static let stepsDoneKey = "dpl.training.steps_done"

    /// The file.
    public let path: String
    /// The model's weights.
    public let weights: [(name: String, tensor: Tensor)]
    /// The optimizer's state (names without the prefix).
    public let optimizerState: [(name: String, tensor: Tensor)]
    /// The weight average by parameter name (without the prefix); empty when none was saved.
    public let average: [String: Tensor]
    /// The file's metadata.
    public let metadata: [String: String]

    /// Reads the checkpoint at `path`.
    /// - Throws: `SafetensorsError` for an unreadable or malformed file.
    public init(contentsOf path: String) throws {
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
        let all = try file.tensors()
        self.path = path
        metadata = file.metadata
        weights = all.filter { !$0.name.hasPrefix(Self.optimizerPrefix) && !$0.name.hasPrefix(Self.averagePrefix) }
        optimizerState = all.filter { $0.name.hasPrefix(Self.optimizerPrefix) }
            .map { (String($0.name.dropFirst(Self.optimizerPrefix.count)), $0.tensor) }
        average = Dictionary(all.filter { $0.name.hasPrefix(Self.averagePrefix) }
            .map { (String($0.name.dropFirst(Self.averagePrefix.count)), $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The whole number under `key` in the metadata (how far training got).
    /// - Throws: `ModelFileError` when it is missing, naming the fix.
    public func progress(_ key: String) throws -> Int {
        guard let done = metadata[key].flatMap(Int.init), done >= 0 else {
            throw ModelFileError(path: path, "the checkpoint does not record how far training got (metadata \(key)); delete it or pass resume=false")
        }
        return done
    }

    /// Writes `model` with the optimizer's state, an optional weight average and `metadata`.
    /// - Throws: `ModelFileError` or the file system's error.
    public static func write(_ model: any Module, optimizer: any Optimizer, average: [(name: String, tensor: Tensor)] = [],
                             metadata: [String: String], to path: String) throws {
        let state = optimizer.stateTensors(names: model.namedParameters()).map { (optimizerPrefix + $0.name, $0.tensor) }
        try ModelFile.write(model, metadata: metadata,
                            extra: state + average.map { (averagePrefix + $0.name, $0.tensor) }, to: path)
    }
}

/// Sorted-key JSON of a training configuration, for a checkpoint's metadata.
/// - Throws: `EncodingError` (never silently an empty object).
public func trainingMetadataJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
