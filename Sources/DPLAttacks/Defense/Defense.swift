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
    private let forward: (Tensor, [UInt64], UInt64) throws -> Tensor

    /// A defense from its forward function `(images, sampleIDs, call) -> logits`.
    public init(description: String, isRandomized: Bool, gradient: DefenseGradient,
                forward: @escaping (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor) {
        self.description = description
        self.isRandomized = isRandomized
        self.gradient = gradient
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
        return Defense(description: description, isRandomized: isRandomized, gradient: gradient) { images, ids, call in
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

    /// Purification followed by a classifier, composed into one function.
    ///
    /// With `.bpda` the forward value is `purify(x)` but the backward pass sees the identity:
    /// `x + stopGradient(purify(x) − x)`. With `.unavailable` purification runs without
    /// recording, so no gradient can reach the input.
    /// - Parameters:
    ///   - purify: `(images, sampleIDs, call) -> purified images` in [0, 1]; it owns its
    ///     randomness keys (fixed randomness ignores `call`).
    ///   - isRandomized: whether `purify` draws fresh noise per call.
    public static func purified(
        description: String, isRandomized: Bool, gradient: DefenseGradient,
        purify: @escaping (_ images: Tensor, _ sampleIDs: [UInt64], _ call: UInt64) throws -> Tensor,
        classifier model: ImageClassifier
    ) -> Defense {
        Defense(description: description, isRandomized: isRandomized, gradient: gradient) { images, ids, call in
            let purified: Tensor
            switch gradient {
            case .exact:
                purified = try purify(images, ids, call)
            case .bpda:
                let value = try withoutGradients { try purify(images.detached(), ids, call) }
                purified = try images + (value - images.detached())
            case .unavailable:
                purified = try withoutGradients { try purify(images.detached(), ids, call) }
            }
            return try model.logits(purified)
        }
    }
}
