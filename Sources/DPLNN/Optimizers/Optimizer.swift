import DPLTensor

// MARK: - The protocol

/// A first-order optimizer that updates parameters in place from their gradients, keeping
/// state (momentum, moment estimates, step counts) per parameter.
///
/// State is keyed by parameter identity, so the same `Parameter` objects must be passed at
/// every step. It can be exported as named tensors (`<parameter path>.<state name>`, with
/// PyTorch's state names) to make training checkpoints resumable.
public protocol Optimizer: AnyObject {
    /// The learning rate; schedules change it between steps.
    var learningRate: Double { get set }

    /// Updates each parameter from its gradient (parallel arrays, one gradient per parameter).
    /// Nothing is changed unless every gradient fits.
    /// - Throws: `OptimizerError` when the counts differ or a gradient's shape differs from
    ///   its parameter's.
    func step(_ parameters: [Parameter], gradients: [Tensor]) throws

    /// The state as named tensors, `<name>.<state>` for each named parameter that has state.
    func stateTensors(names: [(name: String, parameter: Parameter)]) -> [(name: String, tensor: Tensor)]

    /// Replaces the state with tensors from `stateTensors(names:)` (e.g. read from a
    /// checkpoint); parameters with no tensors start fresh.
    /// - Throws: `OptimizerError` naming an unexpected tensor, an incomplete parameter state
    ///   or a wrong shape; the state is unchanged then.
    func loadStateTensors(_ tensors: [(name: String, tensor: Tensor)], names: [(name: String, parameter: Parameter)]) throws
}

extension Optimizer {
    /// Updates the parameters from a gradient dictionary (the order does not matter: each
    /// parameter's update depends only on its own gradient and state).
    public func step(gradients: [Parameter: Tensor]) throws {
        let pairs = Array(gradients)
        try step(pairs.map(\.key), gradients: pairs.map(\.value))
    }

    /// Differentiates `loss` with respect to `parameters` and takes one step.
    public func step(minimizing loss: Tensor, parameters: [Parameter]) throws {
        let grads = try gradients(of: loss, wrt: parameters.map(\.value))
        try step(parameters, gradients: grads)
    }
}

// MARK: - Errors

/// A bad hyperparameter, a gradient that does not fit its parameter, or optimizer state
/// that does not fit the parameters; the message says which and how to fix it.
public struct OptimizerError: Error, CustomStringConvertible, Equatable {
    /// The optimizer and operation, e.g. `Adam.step`.
    public let place: String
    /// What went wrong.
    public let message: String

    /// An error at `place`.
    public init(_ place: String, _ message: String) {
        self.place = place
        self.message = message
    }

    /// `place: message`.
    public var description: String { "\(place): \(message)" }
}

// MARK: - Shared checks

/// Checks a hyperparameter against its valid range.
func requireHyperparameter(_ holds: Bool, _ optimizer: String, _ message: String) throws {
    guard holds else { throw OptimizerError(optimizer, message) }
}

/// Checks that there is one gradient per parameter and that shapes agree.
func checkGradients(_ parameters: [Parameter], _ gradients: [Tensor], place: String) throws {
    guard parameters.count == gradients.count else {
        throw OptimizerError(place, "got \(parameters.count) parameters but \(gradients.count) gradients; pass one gradient per parameter")
    }
    for (index, (parameter, gradient)) in zip(parameters, gradients).enumerated() where parameter.shape != gradient.shape {
        throw OptimizerError(place, "gradient \(index) has shape \(shapeString(gradient.shape)) but its parameter has shape \(shapeString(parameter.shape))")
    }
}

/// Gathers named state tensors per parameter for `loadStateTensors`: checks that every
/// tensor belongs to a named parameter and one of `stateNames`, that a parameter has all of
/// its state or none, and that shapes are `shapeOf(stateName, parameter)`.
func collectState(
    _ tensors: [(name: String, tensor: Tensor)], names: [(name: String, parameter: Parameter)],
    stateNames: [String], shapeOf: (String, Parameter) -> [Int], place: String
) throws -> [Parameter: (name: String, state: [String: Tensor])] {
    var byName: [String: Tensor] = [:]
    for (name, tensor) in tensors {
        guard byName.updateValue(tensor, forKey: name) == nil else {
            throw OptimizerError(place, "state tensor \"\(name)\" is given more than once")
        }
    }
    var result: [Parameter: (name: String, state: [String: Tensor])] = [:]
    var used = Set<String>()
    for (name, parameter) in names {
        var state: [String: Tensor] = [:]
        for stateName in stateNames {
            let full = name + "." + stateName
            guard let tensor = byName[full] else { continue }
            let expected = shapeOf(stateName, parameter)
            guard tensor.shape == expected else {
                throw OptimizerError(place, "state tensor \"\(full)\" has shape \(shapeString(tensor.shape)) but needs \(shapeString(expected))")
            }
            state[stateName] = tensor.detached()
            used.insert(full)
        }
        if state.isEmpty { continue }
        if let absent = stateNames.first(where: { state[$0] == nil }) {
            throw OptimizerError(place, "state of \"\(name)\" lacks \"\(name).\(absent)\"; give all of \(stateNames.joined(separator: ", ")) or none")
        }
        result[parameter] = (name, state)
    }
    if let extra = tensors.map(\.name).first(where: { !used.contains($0) }) {
        throw OptimizerError(place, "state tensor \"\(extra)\" belongs to no named parameter; check the parameter names")
    }
    return result
}
