import DPLNN

// MARK: - What a stage asks of each model

/// One model as the estimate names and counts it.
public struct EstimatedModel: Hashable, Sendable {
    /// The file name, or the architecture of a model not read from a file.
    public let name: String
    /// FLOPs of one forward pass of one image (`ModelFlops`).
    public let flopsPerImage: Double
    /// The image shape `[C, H, W]` it was counted on.
    public let imageShape: [Int]
    /// Identifies the model object, so two files of the same name stay apart.
    let identity: ObjectIdentifier

    public static func == (a: EstimatedModel, b: EstimatedModel) -> Bool {
        a.identity == b.identity && a.imageShape == b.imageShape
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(identity)
        hasher.combine(imageShape)
    }

    /// Whether `other` times the same, though it may be another object: the same name, FLOPs
    /// per image and image shape (a second load of the same file).
    func sameWork(as other: EstimatedModel) -> Bool {
        name == other.name && flopsPerImage == other.flopsPerImage && imageShape == other.imageShape
    }
}

/// Passes of one model per image, forward and backward (to the input, or for training to the
/// weights as well, which `weightGradients` says).
public struct ModelPasses: Equatable, Sendable {
    /// Forward passes per image.
    public var forward: Int
    /// Backward passes per image.
    public var backward: Int

    /// `forward` and `backward` passes.
    public init(forward: Int = 0, backward: Int = 0) {
        self.forward = forward
        self.backward = backward
    }

    static func + (a: ModelPasses, b: ModelPasses) -> ModelPasses {
        ModelPasses(forward: a.forward + b.forward, backward: a.backward + b.backward)
    }

    static func * (k: Int, a: ModelPasses) -> ModelPasses {
        ModelPasses(forward: k * a.forward, backward: k * a.backward)
    }
}

/// What one stage call of a script costs: its images and batches, and the passes of every
/// model it runs, per image.
public struct StageWork {
    /// `attack pgd steps=10 eot=2`, as the row names it.
    public let stage: String
    /// Where the stage is called (`examples/quickstart.dpl:14`), when known.
    public let location: String?
    /// Images the stage processes.
    public let images: Int
    /// Batches of the session's batch size.
    public let batches: Int
    /// Passes per image, per model, in the order the models first appear.
    public var passes: [(model: EstimatedModel, passes: ModelPasses)]
    /// Training passes also differentiate every weight, which costs a second backward.
    public var trainsWeights = false
    /// Whether the counts are an upper bound (square stops querying a sample once it succeeds).
    public var upperBound = false

    /// Adds `passes` of `model` to this stage.
    mutating func add(_ model: EstimatedModel, _ more: ModelPasses) {
        if let index = passes.firstIndex(where: { $0.model == model }) {
            passes[index].passes = passes[index].passes + more
        } else {
            passes.append((model, more))
        }
    }

    /// The passes of the model called `name`, summed, per image; for tests and the table.
    public func passes(ofModelNamed name: String) -> ModelPasses {
        passes.filter { $0.model.name == name }.reduce(ModelPasses()) { $0 + $1.passes }
    }
}
