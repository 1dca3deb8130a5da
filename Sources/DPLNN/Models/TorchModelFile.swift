import Foundation
import DPLTensor

// MARK: - Models from PyTorch checkpoints

extension ModelFile {
    /// The file extensions of `torch.save` checkpoints DPL reads natively.
    public static let pyTorchExtensions = ["pt", "pth", "bin"]

    /// Whether `path` names a PyTorch checkpoint (by its extension) rather than a safetensors file.
    public static func isPyTorchCheckpoint(_ path: String) -> Bool {
        pyTorchExtensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// Reads a `torch.save` checkpoint natively (no Python; see `TorchCheckpoint`) into a new
    /// model of `architecture`, which the file cannot name itself.
    ///
    /// `key` picks the state_dict inside a wrapper dict (`model`, `state_dict`, `ema`, …;
    /// score_sde's EMA is read from its `shadow_params`); `module.` prefixes are removed.
    /// - Throws: `ModelFileError` when no architecture is given or the weights do not fit it
    ///   (the first missing, unexpected and wrong-shaped tensors); `PyTorchError` when the file
    ///   is unreadable, malformed, refers to a global outside the allowlist, or the state_dict
    ///   cannot be found (listing the entries there are).
    public init(pyTorchCheckpoint path: String, architecture: Architecture?, key: String? = nil) throws {
        guard let architecture else {
            throw ModelFileError(path: path, "is a PyTorch checkpoint, which holds weights but not the architecture; name it: model \"\(URL(fileURLWithPath: path).lastPathComponent)\" arch=resnet50 (see docs/models.md)")
        }
        try architecture.validate(path: path)
        let checkpoint = try TorchCheckpoint(contentsOf: URL(fileURLWithPath: path))
        let model = try architecture.makeModel(key: RandomKey(seed: 0, purpose: "init"))
        do {
            try model.loadTorchCheckpoint(checkpoint, key: key)
        } catch let error as StateDictError {
            throw ModelFileError(path: path, "does not fit \(architecture.familyName)\(key.map { " (key=\($0))" } ?? ""): \(error) Check arch= and key=")
        }
        var metadata = ["dpl.source": "pytorch"]
        if let key { metadata["dpl.pytorch.key"] = key }
        if case .resnet(let c) = architecture {
            metadata["dpl.input.mean"] = c.mean.map { "\($0)" }.joined(separator: ",")
            metadata["dpl.input.std"] = c.std.map { "\($0)" }.joined(separator: ",")
        }
        self.model = model
        self.architecture = architecture
        self.metadata = metadata
        self.path = path
    }
}
