/// One node of the reverse-mode autodiff graph.
///
/// A node is either a *leaf* (a tensor made with `requiringGrad()`: an attack's input, a
/// model parameter) or the record of one op: the nodes of its inputs that need gradients and
/// the rule that maps the gradient of the op's output to gradients of those inputs. The rule
/// sits next to the op's forward code (see `Tensor.record`), micrograd-style.
///
/// Identity matters, not value: a parameter keeps its leaf node across training steps, and
/// gradients are accumulated per node.
public final class GradNode {
    /// The op that made this node, for error messages and debugging (`"leaf"` for leaves).
    public let op: String
    /// The shape of the tensor this node belongs to; gradients have this shape.
    public let shape: [Int]
    /// Input nodes, one per differentiable input of the op; `nil` for inputs that need no gradient.
    /// Mutable only so that `deinit` can take it apart iteratively.
    private(set) var inputs: [GradNode?]
    /// Maps the gradient of this node's tensor to the gradients of `inputs` (same order).
    /// It is called only with gradients enabled off, and receives which inputs need a result;
    /// it may return `nil` for the others.
    private(set) var backward: ((Tensor, [Bool]) throws -> [Tensor?])?
    /// Whether the backward rule may reach leaves that are not among `inputs` (a checkpointed
    /// segment reaches the parameters its closure captured), so pruning must not skip it.
    let reachesCapturedLeaves: Bool

    init(leafShape shape: [Int]) {
        self.op = "leaf"
        self.shape = shape
        self.inputs = []
        self.backward = nil
        self.reachesCapturedLeaves = false
    }

    init(op: String, shape: [Int], inputs: [GradNode?], reachesCapturedLeaves: Bool = false,
         backward: @escaping (Tensor, [Bool]) throws -> [Tensor?]) {
        self.op = op
        self.shape = shape
        self.inputs = inputs
        self.backward = backward
        self.reachesCapturedLeaves = reachesCapturedLeaves
    }

    /// Whether this node is a leaf (no inputs to propagate to).
    public var isLeaf: Bool { backward == nil }

    /// Releases the graph above this node without recursion.
    ///
    /// The default teardown releases `inputs`, whose deinit releases *their* inputs, and so on:
    /// one stack frame per node, which overflows on chains of ~10⁵ ops (a long attack or a
    /// diffusion loop). Instead, every input this node holds the last reference to is detached
    /// (its inputs moved onto a work list, its backward closure — which may capture input
    /// tensors — dropped) before it is released, so each release frees exactly one node.
    deinit {
        guard !inputs.isEmpty else { return }
        var pending = inputs.compactMap { $0 }
        inputs = []
        backward = nil
        while var node = pending.popLast() {
            guard isKnownUniquelyReferenced(&node) else { continue }
            pending.append(contentsOf: node.inputs.compactMap { $0 })
            node.inputs = []
            node.backward = nil
        }
    }
}

extension Tensor {
    /// Attaches the autodiff record of an op to its freshly computed `result`.
    ///
    /// Every differentiable op ends with this call. When gradients are disabled, or no input
    /// requires a gradient, nothing is recorded and the backward closure (with everything it
    /// captured) is dropped at once, so inference keeps no intermediate values alive.
    ///
    /// - Parameters:
    ///   - result: the op's output, computed without a node.
    ///   - op: the op's name.
    ///   - inputs: the op's differentiable inputs, in the order `backward` returns gradients.
    ///   - backward: given the gradient of `result` and which inputs need gradients, returns
    ///     the gradient for each input (or `nil` where not needed). Must return tensors whose
    ///     shapes equal the inputs' shapes.
    @inlinable
    public static func record(
        _ result: Tensor, op: String, inputs: [Tensor],
        backward: @escaping (_ gradOutput: Tensor, _ needs: [Bool]) throws -> [Tensor?]
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return result }
        return result.withNode(op: op, inputs: inputs, backward: backward)
    }

    @usableFromInline
    internal func withNode(op: String, inputs: [Tensor], backward: @escaping (Tensor, [Bool]) throws -> [Tensor?]) -> Tensor {
        var out = self
        out.node = GradNode(op: op, shape: shape, inputs: inputs.map { $0.node }, backward: backward)
        return out
    }
}
