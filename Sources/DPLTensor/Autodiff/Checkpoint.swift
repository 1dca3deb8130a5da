/// Runs `segment` on `inputs` without keeping its intermediate values, and recomputes them
/// during the backward pass (gradient checkpointing).
///
/// Backpropagating through a loop of n steps normally keeps every step's activations. Cutting
/// the loop into about √n checkpointed segments of √n steps keeps only the segment boundaries
/// plus one segment's activations at a time, so memory grows like √n while the forward work
/// is done twice.
///
/// Gradients reach the explicit `inputs` and also every leaf the segment's closure captured
/// (model parameters), so training through checkpoints works. Any *non-leaf* tensor the
/// segment depends on must be passed in `inputs`, not captured. `segment` must be a
/// deterministic function of its inputs (DPL's keyed random numbers make diffusion steps so).
public func checkpointed(_ inputs: [Tensor], _ segment: @escaping ([Tensor]) throws -> Tensor) throws -> Tensor {
    guard GradMode.isEnabled else { return try segment(inputs) }
    let constants = inputs.map { $0.detached() }
    let output = try withoutGradients { try segment(constants) }
    let node = GradNode(op: "checkpoint", shape: output.shape, inputs: inputs.map { $0.node },
                        reachesCapturedLeaves: true) { gradOutput, needs in
        let leaves = zip(constants, needs).map { input, need in need ? input.requiringGrad() : input }
        let recomputed = try withGradients { try segment(leaves) }
        guard recomputed.shape == gradOutput.shape else {
            throw TensorError("checkpoint", "the segment returned shape \(shapeString(recomputed.shape)) on recomputation but \(shapeString(gradOutput.shape)) before; it must be deterministic")
        }
        // The nested pass also collects gradients for the outer pass's targets, so that
        // parameters captured by the segment receive their share.
        let outer = BackpropPass.current
        let inner = BackpropPass(targets: leaves.compactMap { $0.node }, alsoTargeting: outer?.targets ?? [])
        if let root = recomputed.node { try inner.run(roots: [(root, gradOutput)]) }
        try outer?.absorbTargetGradients(from: inner)
        return leaves.map { leaf in leaf.node.map { inner.gradient(of: $0) ?? Tensor.zeros(leaf.shape) } }
    }
    var result = output
    result.node = node
    return result
}
