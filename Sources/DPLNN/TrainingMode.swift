// MARK: - Training and evaluation mode

/// A layer that computes differently while training, as BatchNorm does (batch statistics
/// while training, running statistics in evaluation).
public protocol TrainingModeDependent: AnyObject {
    /// Whether the layer is in training mode.
    var isTraining: Bool { get set }
}

extension Module {
    /// Puts every mode-dependent layer of this module and its children into training mode
    /// (`true`) or evaluation mode (`false`), as PyTorch's `module.train(mode)`.
    public func setTraining(_ training: Bool) {
        if let layer = self as? any TrainingModeDependent { layer.isTraining = training }
        for (_, child) in children { child.setTraining(training) }
    }
}
