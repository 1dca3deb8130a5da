import Foundation

// MARK: - Public entry points

/// The gradients of `output` with respect to each tensor in `targets` (reverse mode).
///
/// `seed` is the gradient flowing into `output` (the vector of a vector–Jacobian product);
/// `nil` means all ones, i.e. the gradient of the sum of `output`'s elements. A target that
/// `output` does not depend on gets a zero gradient.
///
/// - Throws: `TensorError` when a target does not require a gradient, when `seed`'s shape
///   differs from `output`'s, or when an op's backward rule fails.
public func gradients(of output: Tensor, wrt targets: [Tensor], seed: Tensor? = nil) throws -> [Tensor] {
    let seedTensor = seed ?? Tensor.ones(output.shape)
    guard seedTensor.shape == output.shape else {
        throw TensorError("gradients", "seed shape \(shapeString(seedTensor.shape)) differs from output shape \(shapeString(output.shape))")
    }
    for (index, target) in targets.enumerated() where target.node == nil {
        throw TensorError("gradients", "target \(index) (shape \(shapeString(target.shape))) does not require a gradient; make it with requiringGrad()")
    }
    let pass = BackpropPass(targets: targets.compactMap { $0.node })
    if let node = output.node {
        try pass.run(roots: [(node, seedTensor)])
    }
    return targets.map { target in
        pass.gradient(of: target.node!) ?? Tensor.zeros(target.shape)
    }
}

/// The value of `f` at `x` together with its gradient with respect to `x`; `f` must return a
/// tensor with one element. A convenience for attacks and tests.
public func valueWithGradient(at x: Tensor, _ f: (Tensor) throws -> Tensor) throws -> (value: Tensor, gradient: Tensor) {
    let leaf = x.detached().requiringGrad()
    let value = try withGradients { try f(leaf) }
    let grad = try gradients(of: value, wrt: [leaf])[0]
    return (value.detached(), grad)
}

// MARK: - The backward pass

/// One reverse sweep over the graph. Accumulates gradients per node, visits nodes in reverse
/// topological order, skips nodes that cannot reach a target, and frees each intermediate
/// gradient as soon as it has been propagated.
final class BackpropPass {
    private let targetIDs: Set<ObjectIdentifier>
    private var grads: [ObjectIdentifier: Tensor] = [:]

    init(targets: [GradNode], alsoTargeting extra: Set<ObjectIdentifier> = []) {
        self.targetIDs = Set(targets.map(ObjectIdentifier.init)).union(extra)
    }

    /// The accumulated gradient of a target node, if any reached it.
    func gradient(of node: GradNode) -> Tensor? { grads[ObjectIdentifier(node)] }

    /// The nodes this pass differentiates with respect to (a nested pass inside a checkpoint
    /// differentiates with respect to these as well).
    var targets: Set<ObjectIdentifier> { targetIDs }

    /// Adds `gradient` into the gradient of `node`.
    func accumulate(_ gradient: Tensor, into node: GradNode) throws {
        let id = ObjectIdentifier(node)
        guard gradient.shape == node.shape else {
            throw TensorError("backward", "the \(node.op) rule produced a gradient of shape \(shapeString(gradient.shape)) for a tensor of shape \(shapeString(node.shape))")
        }
        if var existing = grads.removeValue(forKey: id) {
            accumulateInPlace(&existing, gradient)
            grads[id] = existing
        } else {
            grads[id] = gradient.detached()
        }
    }

    /// Adds gradients for target leaves found by a nested pass (see `checkpointed`).
    func absorbTargetGradients(from inner: BackpropPass) throws {
        for (id, grad) in inner.grads where targetIDs.contains(id) {
            if var existing = grads.removeValue(forKey: id) {
                accumulateInPlace(&existing, grad)
                grads[id] = existing
            } else {
                grads[id] = grad
            }
        }
    }

    /// Runs the sweep from the given roots and their seed gradients.
    func run(roots: [(GradNode, Tensor)]) throws {
        let order = topologicalOrder(from: roots.map { $0.0 })
        let relevant = relevantNodes(in: order)
        for (node, seed) in roots { try accumulate(seed, into: node) }

        try BackpropPass.withCurrent(self) {
            try withoutGradients {
                for node in order.reversed() {
                    let id = ObjectIdentifier(node)
                    guard let backward = node.backward, relevant.contains(id), let g = grads[id] else { continue }
                    if !targetIDs.contains(id) { grads[id] = nil }   // propagated: free it
                    let needs = node.inputs.map { input in input.map { relevant.contains(ObjectIdentifier($0)) } ?? false }
                    guard needs.contains(true) || node.reachesCapturedLeaves else { continue }
                    let inputGrads = try backward(g, needs)
                    for (input, grad) in zip(node.inputs, inputGrads) {
                        guard let input, let grad, relevant.contains(ObjectIdentifier(input)) else { continue }
                        try accumulate(grad, into: input)
                    }
                }
            }
        }
    }

    /// Post-order (inputs before users) of every node reachable from `roots`, iteratively so
    /// that graphs thousands of ops deep (100 diffusion steps × a U-Net) do not overflow the stack.
    private func topologicalOrder(from roots: [GradNode]) -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = []
        for root in roots where !visited.contains(ObjectIdentifier(root)) {
            visited.insert(ObjectIdentifier(root))
            stack.append((root, 0))
            while let (node, next) = stack.popLast() {
                if next < node.inputs.count {
                    stack.append((node, next + 1))
                    if let input = node.inputs[next], !visited.contains(ObjectIdentifier(input)) {
                        visited.insert(ObjectIdentifier(input))
                        stack.append((input, 0))
                    }
                } else {
                    order.append(node)
                }
            }
        }
        return order
    }

    /// Nodes from which some target can be reached; only these need gradients.
    private func relevantNodes(in order: [GradNode]) -> Set<ObjectIdentifier> {
        var relevant = Set<ObjectIdentifier>()
        for node in order {   // inputs come first, so their relevance is known
            let id = ObjectIdentifier(node)
            if targetIDs.contains(id) || node.reachesCapturedLeaves
                || node.inputs.contains(where: { $0.map { relevant.contains(ObjectIdentifier($0)) } ?? false }) {
                relevant.insert(id)
            }
        }
        return relevant
    }

    // MARK: Current pass (for nested passes inside checkpointed segments)

    private static let threadKey = "dpl.BackpropPass.current"

    /// The pass running on this thread, if any.
    static var current: BackpropPass? {
        (Thread.current.threadDictionary[threadKey] as? [BackpropPass])?.last
    }

    private static func withCurrent<R>(_ pass: BackpropPass, _ body: () throws -> R) rethrows -> R {
        let dictionary = Thread.current.threadDictionary
        var stack = dictionary[threadKey] as? [BackpropPass] ?? []
        stack.append(pass)
        dictionary[threadKey] = stack
        defer {
            var stack = dictionary[threadKey] as? [BackpropPass] ?? []
            _ = stack.popLast()
            dictionary[threadKey] = stack
        }
        return try body()
    }
}

/// Adds `b` into the same-shaped gradient `target`, without recording. The caller takes
/// `target` out of the pass's dictionary first, so its storage is usually referenced only
/// here and the add happens in place; reading it from the dictionary instead kept a second
/// reference and made every accumulation copy the whole gradient first (1% of a U-Net training step).
private func accumulateInPlace(_ target: inout Tensor, _ b: Tensor) {
    target.withUnsafeMutableScalars { o in
        guard o.count > 0 else { return }
        b.withUnsafeScalars { bb in addInPlace(o.baseAddress!, bb.baseAddress!, count: o.count) }
    }
}
