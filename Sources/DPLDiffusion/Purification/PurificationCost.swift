// MARK: - Model evaluations of one purification

/// How many times one purification of a batch runs the noise model, per image: forward
/// passes and backward passes (to the input). `dpl estimate` multiplies these by the model's
/// FLOPs and measured speed; they follow `Purifier.purify` and `ReverseProcess.run` exactly.
public struct PurificationCost: Equatable, Sendable {
    /// Forward passes of the noise model.
    public var forward: Int
    /// Backward passes of the noise model (input gradients only).
    public var backward: Int

    /// A cost of `forward` and `backward` passes.
    public init(forward: Int, backward: Int) {
        self.forward = forward
        self.backward = backward
    }
}

extension Purifier {
    /// The model passes of one purification of a batch of `batch` images, without gradients
    /// (`withGradient` false) or with the input gradient an attack asks for.
    ///
    /// With gradients and `grad=full`, the reverse steps run under checkpointing: every step
    /// runs forward once, again when its segment is recomputed for the backward pass
    /// (`automatic`, `segments`), and a third time with `nested`, whose segment recomputation
    /// checkpoints each step again; `off` (what `adaptive` picks when the whole process fits in
    /// memory) keeps every step and runs it once. `bpda` and `none` purify without a graph.
    public func cost(batch: Int, withGradient: Bool) -> PurificationCost {
        let steps = reverseProcess.stepCount
        guard withGradient, settings.gradient == .full else { return PurificationCost(forward: steps, backward: 0) }
        let resolved = settings.checkpointing.resolved(stepCount: steps, batch: batch,
                                                       bytesPerImage: model.recordedBytesPerImage)
        let passes: Int
        switch resolved {
        case .off, .adaptive: passes = 1
        case .automatic, .segments: passes = 2
        case .nested: passes = 3
        }
        return PurificationCost(forward: steps * passes, backward: steps)
    }
}
