import DPLTensor

/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, with
/// PyTorch's update (`torch.optim.SGD`). For parameter p, gradient g, step t:
///
///     g ← g + λ·p                                   (weightDecay λ ≠ 0)
///     b ← g                                          (first step, momentum μ ≠ 0)
///     b ← μ·b + (1 − τ)·g                            (later steps; dampening τ)
///     g ← g + μ·b   if nesterov,   g ← b otherwise   (μ ≠ 0)
///     p ← p − lr·g
///
/// State: `momentum_buffer` (the b above), only when μ ≠ 0.
public final class SGD: Optimizer {
    /// The learning rate.
    public var learningRate: Double
    /// The momentum factor μ (0 for plain SGD).
    public let momentum: Double
    /// The dampening τ of the momentum update.
    public let dampening: Double
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// The L2 penalty λ added to the gradient.
    public let weightDecay: Double

    private var momentumBuffers: [Parameter: [Float]] = [:]

    /// SGD with the given hyperparameters (PyTorch's defaults otherwise).
    /// - Throws: `OptimizerError` for a negative rate, momentum or weight decay, or Nesterov
    ///   without momentum or with dampening (as PyTorch refuses).
    public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0) throws {
        try requireHyperparameter(learningRate >= 0, "SGD", "the learning rate must be at least 0 but is \(learningRate)")
        try requireHyperparameter(momentum >= 0, "SGD", "the momentum must be at least 0 but is \(momentum)")
        try requireHyperparameter(weightDecay >= 0, "SGD", "the weight decay must be at least 0 but is \(weightDecay)")
        try requireHyperparameter(!nesterov || (momentum > 0 && dampening == 0), "SGD",
                                  "Nesterov momentum needs a momentum above 0 and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    /// One SGD step (see the type's documentation for the formula).
    public func step(_ parameters: [Parameter], gradients: [Tensor]) throws {
        try checkGradients(parameters, gradients, place: "SGD.step")
        let lr = Float(learningRate), mu = Float(momentum), keep = Float(1 - dampening)
        let decay = Float(weightDecay)
        for (parameter, gradient) in zip(parameters, gradients) {
            let hadBuffer = momentumBuffers[parameter] != nil
            var buffer = momentumBuffers.removeValue(forKey: parameter) ?? []
            if momentum != 0 && !hadBuffer { buffer = [Float](repeating: 0, count: gradient.count) }
            parameter.withUnsafeMutableScalars { p in
                gradient.withUnsafeScalars { g in
                    buffer.withUnsafeMutableBufferPointer { b in
                        for i in 0..<p.count {
                            var direction = g[i]
                            if decay != 0 { direction = direction + decay * p[i] }
                            if mu != 0 {
                                b[i] = hadBuffer ? mu * b[i] + keep * direction : direction
                                direction = nesterov ? direction + mu * b[i] : b[i]
                            }
                            p[i] = p[i] - lr * direction
                        }
                    }
                }
            }
            if momentum != 0 { momentumBuffers[parameter] = buffer }
        }
    }

    /// `<name>.momentum_buffer` for each parameter that has one.
    public func stateTensors(names: [(name: String, parameter: Parameter)]) -> [(name: String, tensor: Tensor)] {
        names.compactMap { name, parameter in
            guard let buffer = momentumBuffers[parameter],
                  let tensor = try? Tensor(shape: parameter.shape, scalars: buffer) else { return nil }
            return (name + ".momentum_buffer", tensor)
        }
    }

    /// Replaces the momentum buffers (see `Optimizer.loadStateTensors`).
    public func loadStateTensors(_ tensors: [(name: String, tensor: Tensor)], names: [(name: String, parameter: Parameter)]) throws {
        let state = try collectState(tensors, names: names, stateNames: ["momentum_buffer"],
                                     shapeOf: { _, parameter in parameter.shape }, place: "SGD.loadStateTensors")
        momentumBuffers = state.compactMapValues { $0.state["momentum_buffer"]?.scalars }
    }
}
