import DPLNN
import DPLTensor

// MARK: - Gradient availability

/// How an attack may differentiate through a defense.
public enum DefenseGradient: String, Sendable, CustomStringConvertible {
    /// The true gradient of the whole computation (backpropagation through purification).
    case exact
    /// Backward Pass Differentiable Approximation (Athalye et al., 2018): the forward pass is
    /// the true defense, the backward pass treats purification as the identity.
    case bpda
    /// No gradient: only score-based (black-box) attacks such as Square can run.
    case unavailable

    /// `exact`, `bpda` or `unavailable`, as printed in reports.
    public var description: String { rawValue }
}

// MARK: - Threat model

/// What the attack was allowed to see, printed with every result.
public enum ThreatModel: String, Sendable, CustomStringConvertible {
    /// The attack optimized against the whole defense (purification and classifier): adaptive.
    case endToEnd = "end-to-end"
    /// The attack optimized against the classifier alone and the result was transferred to the
    /// defended pipeline (`against=classifier`): the non-adaptive setting.
    case transferFromClassifier = "transfer from classifier"

    /// The name printed in reports.
    public var description: String { rawValue }
}

// MARK: - Defense

/// A defended model as attacks see it: images `[N, C, H, W]` in [0, 1], with their sample ids
/// and a call index, to logits `[N, classes]`, built from differentiable ops.
///
/// The call index is how randomness is addressed (see `DefenseCallIndex`): a randomized
/// defense (`seed=random`) must give fresh noise for a new call index and the same noise for a
/// repeated one; a deterministic defense ignores it. Because every draw is keyed by sample id,
/// a sample's logits never depend on the other samples in the batch.
public struct Defense {
    /// A one-line description for reports, e.g. `purify t=100 seed=random | classify cnn-small`.
    public let description: String
    /// Whether each call index draws fresh randomness (then attacks should use EOT and the
    /// evaluation rule matters).
    public let isRandomized: Bool
    /// How attacks may differentiate through it.
    public let gradient: DefenseGradient
    /// The transforms before the classifier, when the defense was composed from them (empty
    /// for a bare classifier or a defense given as one function).
    public let transforms: [DefenseTransform]
    private let forward: (Tensor, [UInt64], UInt64) throws -> Tensor

    /// A defense from its forward function `(images, sampleIDs, call) -> logits`.
    public init(description: String, isRandomized: Bool, gradient: DefenseGradient,
                transforms: [DefenseTransform] = [],
                forward: @escaping (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor) {
        self.description = description
        self.isRandomized = isRandomized
        self.gradient = gradient
        self.transforms = transforms
        self.forward = forward
    }

    /// The logits of `images` under the randomness of `call`.
    /// - Throws: `AttackError` when the image batch and the ids disagree or the defense does
    ///   not return one row of logits per image; errors of the forward pass pass through.
    public func logits(_ images: Tensor, sampleIDs: [UInt64], call: UInt64) throws -> Tensor {
        guard images.rank == 4, images.shape[0] == sampleIDs.count else {
            throw AttackError("defense", "images of shape \(images.shape) need rank 4 [N, C, H, W] with one sample id per row, but \(sampleIDs.count) ids were given")
        }
        let result = try forward(images, sampleIDs, call)
        guard result.rank == 2, result.shape[0] == images.shape[0] else {
            throw AttackError("defense", "\(description) returned logits of shape \(result.shape) for \(images.shape[0]) images; it must return [N, classes]")
        }
        return result
    }

    // MARK: Cancellation

    /// This defense with `check` called before every forward pass. Every attack calls its
    /// defense at least once per iteration (each EOT draw is a call), so an attack run against
    /// the result stops within one iteration once `check` throws; the error passes through
    /// unchanged.
    public func checkingCancellation(_ check: @escaping () throws -> Void) -> Defense {
        let forward = self.forward
        return Defense(description: description, isRandomized: isRandomized, gradient: gradient,
                       transforms: transforms) { images, ids, call in
            try check()
            return try forward(images, ids, call)
        }
    }

    // MARK: Building defenses

    /// An undefended classifier: deterministic, exact gradients.
    public static func classifier(_ model: ImageClassifier, description: String = "classify") -> Defense {
        Defense(description: description, isRandomized: false, gradient: .exact) { images, _, _ in
            try model.logits(images)
        }
    }

    /// Transforms (purification), then a classifier, composed into one function. Each
    /// transform applies its own backward rule (`DefenseTransform`); the defense's gradient is
    /// the weakest of them and it is randomized when any of them is.
    /// - Parameter reusing: when it holds the transforms' output for the same input and call,
    ///   that output is classified instead of recomputed (see `ReusedDraw`).
    public static func composed(_ transforms: [DefenseTransform], classifier model: ImageClassifier,
                                description: String, reusing reuse: ReusedDraw? = nil) -> Defense {
        Defense(description: description, isRandomized: transforms.isRandomized, gradient: transforms.gradient,
                transforms: transforms) { images, ids, call in
            if let reused = reuse?.output(call: call, input: images) { return try model.logits(reused) }
            return try model.logits(transforms.apply(images, sampleIDs: ids, call: call))
        }
    }

    /// The images after the defense's transforms (its `purified` images): the identity for a
    /// defense without transforms.
    public func transformed(_ images: Tensor, sampleIDs: [UInt64], call: UInt64) throws -> Tensor {
        try transforms.apply(images, sampleIDs: sampleIDs, call: call)
    }
}

// MARK: - Reusing a draw

/// One transform output kept for reuse by a defense that will ask for the same draw again:
/// the clean evaluation's first draw is also the `purified` snapshot, so it is computed once.
public final class ReusedDraw {
    private var call: UInt64?
    private var input: Tensor?
    private var output: Tensor?

    public init() {}

    /// Keeps `output` as the transforms' result on `input` under `call`.
    public func store(call: UInt64, input: Tensor, output: Tensor) {
        self.call = call
        self.input = input
        self.output = output
    }

    /// The stored output when `call` and the input's values match (compared exactly; inputs
    /// share storage, so this is cheap next to a purification).
    public func output(call: UInt64, input: Tensor) -> Tensor? {
        guard call == self.call, let stored = self.input, stored.shape == input.shape, stored.scalars == input.scalars else { return nil }
        return output
    }
}
