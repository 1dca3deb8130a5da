/// DPLNN: the neural-network layer of DPL's engine, on top of DPLTensor.
///
/// Files by concept: `Parameter.swift` (a trainable tensor with a stable autodiff identity),
/// `Module.swift` (the protocol layers and models conform to, with PyTorch-style dotted
/// state-dict names), `Buffer.swift` (saved but untrained state such as BatchNorm's running
/// statistics), `TrainingMode.swift` (training versus evaluation mode), `Optimizers/` (SGD, Adam, AdamW with PyTorch's update rules and
/// exportable state), `Safetensors/` (reading and writing `.safetensors` files, so weights
/// move to and from PyTorch).
public enum DPLNNLibrary {
    /// The library's version, reported with results.
    public static let version = "0.1.0"
}
