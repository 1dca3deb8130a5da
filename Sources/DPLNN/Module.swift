import DPLTensor

// MARK: - The protocol

/// A layer or a model: something that owns parameters directly and through child modules.
///
/// Parameters are named like PyTorch's `state_dict`: a module's own parameters by their local
/// names (`weight`, `bias`), a child's by the child's name and a dot (`down1.conv1.weight`).
/// Layers keep PyTorch's names and layouts (conv weight `[out, in, kh, kw]`, linear weight
/// `[out, in]`), so a state dict read from a PyTorch `.safetensors` file loads as is.
///
/// Conformers list their parameters and children in a fixed order (usually declaration
/// order); that order is the order of `stateDict()` and `parameters()`.
public protocol Module {
    /// The parameters this module owns itself, with their local names.
    var ownParameters: [(name: String, parameter: Parameter)] { get }
    /// The child modules, with their local names.
    var children: [(name: String, module: any Module)] { get }
    /// The buffers this module owns itself (state that is saved but not trained, such as
    /// BatchNorm's running statistics), with their local names.
    var ownBuffers: [(name: String, buffer: Buffer)] { get }
}

extension Module {
    /// No parameters of its own (a container of children).
    public var ownParameters: [(name: String, parameter: Parameter)] { [] }
    /// No children (a leaf layer).
    public var children: [(name: String, module: any Module)] { [] }
    /// No buffers (most layers keep only parameters).
    public var ownBuffers: [(name: String, buffer: Buffer)] { [] }

    // MARK: - Traversal

    /// Every parameter with its dotted path: own parameters first, then each child's in order.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = []
        appendNamedParameters(prefix: "", to: &result)
        return result
    }

    private func appendNamedParameters(prefix: String, to result: inout [(name: String, parameter: Parameter)]) {
        for (name, parameter) in ownParameters { result.append((prefix + name, parameter)) }
        for (name, child) in children { child.appendNamedParameters(prefix: prefix + name + ".", to: &result) }
    }

    /// Every parameter, in `namedParameters()` order (for optimizers and `gradients(of:wrt:)`).
    public func parameters() -> [Parameter] { namedParameters().map(\.parameter) }

    /// Every buffer with its dotted path, in the same traversal order as `namedParameters()`.
    public func namedBuffers() -> [(name: String, buffer: Buffer)] {
        var result: [(name: String, buffer: Buffer)] = []
        appendNamedBuffers(prefix: "", to: &result)
        return result
    }

    private func appendNamedBuffers(prefix: String, to result: inout [(name: String, buffer: Buffer)]) {
        for (name, buffer) in ownBuffers { result.append((prefix + name, buffer)) }
        for (name, child) in children { child.appendNamedBuffers(prefix: prefix + name + ".", to: &result) }
    }

    /// Every tensor of the state dict by dotted path: the parameters, then the buffers.
    private func namedStateSlots() -> [(name: String, shape: [Int], assign: (Tensor) throws -> Void)] {
        namedParameters().map { entry in (entry.name, entry.parameter.shape, { try entry.parameter.assign($0) }) }
            + namedBuffers().map { entry in (entry.name, entry.buffer.shape, { try entry.buffer.assign($0) }) }
    }

    // MARK: - State dict

    /// The parameters' and then the buffers' current values by dotted path, in a stable order
    /// (`namedParameters()`, then `namedBuffers()`), detached from the autodiff graph.
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        namedParameters().map { ($0.name, $0.parameter.value.detached()) }
            + namedBuffers().map { ($0.name, $0.buffer.value) }
    }

    /// Loads values by dotted path, all or nothing: every problem is found first — tensors the
    /// module needs but `state` lacks, tensors `state` has that the module does not know, and
    /// shapes that differ — and reported together; only a clean state is assigned.
    /// - Throws: `StateDictError` naming every missing and unexpected tensor and every wrong
    ///   shape (expected and found).
    public func loadStateDict(_ state: [(name: String, tensor: Tensor)]) throws {
        let named = namedStateSlots()
        var given: [String: Tensor] = [:]
        var duplicates: [String] = []
        for (name, tensor) in state {
            if given.updateValue(tensor, forKey: name) != nil { duplicates.append(name) }
        }
        let known = Set(named.map(\.name))
        var error = StateDictError()
        error.duplicate = duplicates
        error.unexpected = state.map(\.name).filter { !known.contains($0) }
        var assignments: [(assign: (Tensor) throws -> Void, tensor: Tensor)] = []
        for (name, shape, assign) in named {
            guard let tensor = given[name] else { error.missing.append(name); continue }
            if tensor.shape == shape {
                assignments.append((assign, tensor.detached()))
            } else {
                error.wrongShapes.append(.init(name: name, expected: shape, found: tensor.shape))
            }
        }
        guard error.isEmpty else { throw error }
        for (assign, tensor) in assignments { try assign(tensor) }
    }

    /// Loads values from a dictionary by dotted path (see `loadStateDict(_:)` for the checks).
    public func loadStateDict(_ state: [String: Tensor]) throws {
        try loadStateDict(state.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) })
    }
}

// MARK: - Errors

/// Why a state dict did not fit a module. The description names every problem in one message.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    /// A tensor whose shape differs from the parameter's.
    public struct WrongShape: Equatable {
        /// The dotted path.
        public var name: String
        /// The parameter's shape.
        public var expected: [Int]
        /// The given tensor's shape.
        public var found: [Int]
    }

    /// Parameters of the module with no tensor in the state dict.
    public var missing: [String] = []
    /// Tensors in the state dict that name no parameter of the module.
    public var unexpected: [String] = []
    /// Names given more than once in the state dict.
    public var duplicate: [String] = []
    /// Tensors whose shape differs from their parameter's.
    public var wrongShapes: [WrongShape] = []

    var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && duplicate.isEmpty && wrongShapes.isEmpty }

    /// E.g. `state dict does not fit the module: missing tensor "fc.bias"; tensor "fc.weight" has shape [3, 4] but the module needs [4, 3].`
    public var description: String {
        var parts: [String] = []
        parts += missing.map { "missing tensor \"\($0)\"" }
        parts += unexpected.map { "unexpected tensor \"\($0)\" (no parameter has this name)" }
        parts += duplicate.map { "tensor \"\($0)\" is given more than once" }
        parts += wrongShapes.map {
            "tensor \"\($0.name)\" has shape \(shapeString($0.found)) but the module needs \(shapeString($0.expected))"
        }
        return "state dict does not fit the module: " + parts.joined(separator: "; ") + "."
    }
}
