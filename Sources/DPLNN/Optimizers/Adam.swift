import Foundation
import DPLTensor

// MARK: - Adam

/// Adam with L2 weight decay, with PyTorch's update (`torch.optim.Adam`, amsgrad off). For
/// parameter p, gradient g, per-parameter step count t (starting at 1):
///
///     g ← g + λ·p                          (weightDecay λ ≠ 0: an L2 penalty in the gradient)
///     m ← lerp(m, g, 1 − β₁)               (= β₁·m + (1 − β₁)·g)
///     v ← β₂·v + (1 − β₂)·g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// m and v start at zero. The bias corrections and step size are computed in Double, the
/// elementwise update in Float, in PyTorch's order of operations (including `lerp`'s two
/// branches). State: `exp_avg` (m), `exp_avg_sq` (v), `step` (t, a float scalar as PyTorch
/// stores it; exact up to 2²⁴ steps).
public final class Adam: Optimizer {
    /// The learning rate.
    public var learningRate: Double { get { core.learningRate } set { core.learningRate = newValue } }
    /// The decay rates (β₁, β₂) of the first and second moment estimates.
    public var betas: (Double, Double) { core.betas }
    /// The term ε added to the denominator for numerical stability.
    public var epsilon: Double { core.epsilon }
    /// The L2 penalty λ added to the gradient.
    public var weightDecay: Double { core.weightDecay }

    private var core: AdamCore

    /// Adam with the given hyperparameters (PyTorch's defaults otherwise).
    /// - Throws: `OptimizerError` for a negative rate, ε or weight decay, or a β outside [0, 1).
    public init(learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                epsilon: Double = 1e-8, weightDecay: Double = 0) throws {
        core = try AdamCore(name: "Adam", learningRate: learningRate, betas: betas, epsilon: epsilon,
                            weightDecay: weightDecay, decoupled: false)
    }

    /// One Adam step (see the type's documentation for the formula).
    public func step(_ parameters: [Parameter], gradients: [Tensor]) throws {
        try core.step(parameters, gradients: gradients)
    }

    /// `<name>.exp_avg`, `<name>.exp_avg_sq` and `<name>.step` for each stepped parameter.
    public func stateTensors(names: [(name: String, parameter: Parameter)]) -> [(name: String, tensor: Tensor)] {
        core.stateTensors(names: names)
    }

    /// Replaces the moment estimates and step counts (see `Optimizer.loadStateTensors`).
    public func loadStateTensors(_ tensors: [(name: String, tensor: Tensor)], names: [(name: String, parameter: Parameter)]) throws {
        try core.loadStateTensors(tensors, names: names)
    }
}

// MARK: - AdamW

/// Adam with decoupled weight decay (Loshchilov & Hutter), with PyTorch's update
/// (`torch.optim.AdamW`): the parameter shrinks before the Adam step instead of the penalty
/// entering the gradient,
///
///     p ← p · (1 − lr·λ)
///     m ← lerp(m, g, 1 − β₁),   v ← β₂·v + (1 − β₂)·g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// State as `Adam`: `exp_avg`, `exp_avg_sq`, `step`.
public final class AdamW: Optimizer {
    /// The learning rate.
    public var learningRate: Double { get { core.learningRate } set { core.learningRate = newValue } }
    /// The decay rates (β₁, β₂) of the first and second moment estimates.
    public var betas: (Double, Double) { core.betas }
    /// The term ε added to the denominator for numerical stability.
    public var epsilon: Double { core.epsilon }
    /// The decoupled weight decay λ.
    public var weightDecay: Double { core.weightDecay }

    private var core: AdamCore

    /// AdamW with the given hyperparameters (PyTorch's defaults otherwise, weight decay 0.01).
    /// - Throws: `OptimizerError` for a negative rate, ε or weight decay, or a β outside [0, 1).
    public init(learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                epsilon: Double = 1e-8, weightDecay: Double = 1e-2) throws {
        core = try AdamCore(name: "AdamW", learningRate: learningRate, betas: betas, epsilon: epsilon,
                            weightDecay: weightDecay, decoupled: true)
    }

    /// One AdamW step (see the type's documentation for the formula).
    public func step(_ parameters: [Parameter], gradients: [Tensor]) throws {
        try core.step(parameters, gradients: gradients)
    }

    /// `<name>.exp_avg`, `<name>.exp_avg_sq` and `<name>.step` for each stepped parameter.
    public func stateTensors(names: [(name: String, parameter: Parameter)]) -> [(name: String, tensor: Tensor)] {
        core.stateTensors(names: names)
    }

    /// Replaces the moment estimates and step counts (see `Optimizer.loadStateTensors`).
    public func loadStateTensors(_ tensors: [(name: String, tensor: Tensor)], names: [(name: String, parameter: Parameter)]) throws {
        try core.loadStateTensors(tensors, names: names)
    }
}

// MARK: - The shared update

/// The Adam update and state, shared by `Adam` (L2 penalty) and `AdamW` (decoupled decay).
struct AdamCore {
    struct State {
        var step: Int
        var firstMoment: [Float]
        var secondMoment: [Float]
    }

    let name: String
    var learningRate: Double
    let betas: (Double, Double)
    let epsilon: Double
    let weightDecay: Double
    let decoupled: Bool
    private var states: [Parameter: State] = [:]

    init(name: String, learningRate: Double, betas: (Double, Double), epsilon: Double,
         weightDecay: Double, decoupled: Bool) throws {
        // An infinite rate turns every weight into NaN on the first step.
        try requireHyperparameter(learningRate >= 0 && learningRate.isFinite, name,
                                  "the learning rate must be a finite number of at least 0 but is \(learningRate)")
        try requireHyperparameter(epsilon >= 0, name, "epsilon must be at least 0 but is \(epsilon)")
        try requireHyperparameter(weightDecay >= 0, name, "the weight decay must be at least 0 but is \(weightDecay)")
        try requireHyperparameter((0..<1).contains(betas.0) && (0..<1).contains(betas.1), name,
                                  "betas must lie in [0, 1) but are (\(betas.0), \(betas.1))")
        self.name = name
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    mutating func step(_ parameters: [Parameter], gradients: [Tensor]) throws {
        try checkGradients(parameters, gradients, place: name + ".step")
        for (parameter, gradient) in zip(parameters, gradients) {
            var state = states.removeValue(forKey: parameter)
                ?? State(step: 0, firstMoment: .init(repeating: 0, count: gradient.count),
                         secondMoment: .init(repeating: 0, count: gradient.count))
            state.step += 1
            update(parameter, gradient, &state)
            states[parameter] = state
        }
    }

    private func update(_ parameter: Parameter, _ gradient: Tensor, _ state: inout State) {
        let t = Double(state.step)
        let stepSize = Float(learningRate / (1 - pow(betas.0, t)))
        let correction2Root = Float((1 - pow(betas.1, t)).squareRoot())
        let lerpWeight = Float(1 - betas.0), beta2 = Float(betas.1), oneMinusBeta2 = Float(1 - betas.1)
        let eps = Float(epsilon)
        let l2 = decoupled ? 0 : Float(weightDecay)
        let shrink = Float(1 - learningRate * weightDecay)
        let shrinks = decoupled && weightDecay != 0
        parameter.withUnsafeMutableScalars { p in
            gradient.withUnsafeScalars { g in
                state.firstMoment.withUnsafeMutableBufferPointer { m in
                    state.secondMoment.withUnsafeMutableBufferPointer { v in
                        // Sixteen lanes at a time (SIMD's square root and quotient are the exact
                        // IEEE operations, so every lane has the scalar loop's bits; the scalar
                        // `squareRoot()` compiled to a libm call per element), then the tail.
                        @inline(__always) func step(shrinks: Bool, l2: Float, smallWeight: Bool) {
                            typealias Lanes = SIMD16<Float>
                            @inline(__always) func load(_ b: UnsafeMutableBufferPointer<Float>, _ i: Int) -> Lanes {
                                UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: Lanes.self)
                            }
                            @inline(__always) func store(_ x: Lanes, _ b: UnsafeMutableBufferPointer<Float>, _ i: Int) {
                                UnsafeMutableRawPointer(b.baseAddress! + i).storeBytes(of: x, as: Lanes.self)
                            }
                            let whole = p.count / 16 * 16
                            var i = 0
                            while i < whole {
                                var pi = load(p, i), mi = load(m, i), vi = load(v, i)
                                var grad = UnsafeRawPointer(g.baseAddress! + i).loadUnaligned(as: Lanes.self)
                                if shrinks { pi = pi * shrink }
                                if l2 != 0 { grad = grad + l2 * pi }
                                mi = smallWeight ? mi + lerpWeight * (grad - mi) : grad - (grad - mi) * (1 - lerpWeight)
                                vi = vi * beta2 + oneMinusBeta2 * (grad * grad)
                                let denominator = vi.squareRoot() / correction2Root + eps
                                pi = pi + -stepSize * (mi / denominator)
                                store(pi, p, i); store(mi, m, i); store(vi, v, i)
                                i += 16
                            }
                            for i in whole..<p.count {
                                if shrinks { p[i] = p[i] * shrink }
                                let grad = l2 != 0 ? g[i] + l2 * p[i] : g[i]
                                // torch.lerp: start + w·(end − start) for |w| < 0.5, else end − (end − start)·(1 − w).
                                m[i] = smallWeight ? m[i] + lerpWeight * (grad - m[i])
                                                   : grad - (grad - m[i]) * (1 - lerpWeight)
                                v[i] = v[i] * beta2 + oneMinusBeta2 * (grad * grad)
                                let denominator = v[i].squareRoot() / correction2Root + eps
                                p[i] = p[i] + -stepSize * (m[i] / denominator)
                            }
                        }
                        switch (shrinks, l2 != 0, lerpWeight < 0.5) {
                        case (false, false, true): step(shrinks: false, l2: 0, smallWeight: true)
                        case (true, false, true): step(shrinks: true, l2: 0, smallWeight: true)
                        default: step(shrinks: shrinks, l2: l2, smallWeight: lerpWeight < 0.5)
                        }
                    }
                }
            }
        }
    }

    func stateTensors(names: [(name: String, parameter: Parameter)]) -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        for (name, parameter) in names {
            guard let state = states[parameter],
                  let m = try? Tensor(shape: parameter.shape, scalars: state.firstMoment),
                  let v = try? Tensor(shape: parameter.shape, scalars: state.secondMoment) else { continue }
            result.append((name + ".exp_avg", m))
            result.append((name + ".exp_avg_sq", v))
            result.append((name + ".step", Tensor(Float(state.step))))
        }
        return result
    }

    mutating func loadStateTensors(_ tensors: [(name: String, tensor: Tensor)], names: [(name: String, parameter: Parameter)]) throws {
        let place = name + ".loadStateTensors"
        let collected = try collectState(
            tensors, names: names, stateNames: ["exp_avg", "exp_avg_sq", "step"],
            shapeOf: { stateName, parameter in stateName == "step" ? [] : parameter.shape }, place: place)
        var loaded: [Parameter: State] = [:]
        for (parameter, (parameterName, state)) in collected {
            guard let m = state["exp_avg"], let v = state["exp_avg_sq"], let step = state["step"]?.scalars.first,
                  step >= 1, step == step.rounded(), step <= 0x1p24 else {
                throw OptimizerError(place, "state tensor \"\(parameterName).step\" must hold a whole number from 1 to 2^24")
            }
            loaded[parameter] = State(step: Int(step), firstMoment: m.scalars, secondMoment: v.scalars)
        }
        states = loaded
    }
}
