import DPLTensor

// MARK: - FLOPs of one forward pass

/// The floating-point operations of one model evaluation per image: the convolutions and
/// matrix products (linear layers, attention) of a forward pass, 2 per multiply–add
/// (`FlopCounter`). `dpl estimate` and dpl-bench both read them from here.
///
/// The count is taken from a forward pass of one image of zeros, so it follows the model's
/// own code for every architecture: a count written out per architecture would be a second
/// description of each network, free to drift from the one that runs. A backward pass to the
/// input (what an attack needs; the weights are not differentiated) runs the same products
/// once more with transposed operands, so it costs the same count again.
public enum ModelFlops {
    /// FLOPs per image of `classifier.logits` on images shaped `imageShape` (`[C, H, W]`).
    /// - Throws: the model's own error when it cannot take images of that shape.
    public static func forward(of classifier: any ImageClassifier, imageShape: [Int]) throws -> Double {
        let images = Tensor.zeros([1] + imageShape)
        return try withoutGradients { try FlopCounter.counting { try classifier.logits(images) }.flops }
    }

    /// FLOPs per image of `predictor.predictNoise` on images shaped `imageShape` (`[C, H, W]`).
    /// - Throws: the model's own error when it cannot take images of that shape.
    public static func forward(of predictor: any NoisePredictor, imageShape: [Int]) throws -> Double {
        let images = Tensor.zeros([1] + imageShape)
        return try withoutGradients { try FlopCounter.counting { try predictor.predictNoise(images, timesteps: [0]) }.flops }
    }

    /// FLOPs per image of a freshly built model of `architecture` on images shaped
    /// `imageShape`; for a model not loaded yet (dpl-bench's workloads build theirs).
    /// - Throws: when the architecture builds neither a classifier nor a noise predictor, or
    ///   the model cannot take images of that shape.
    public static func forward(of architecture: Architecture, imageShape: [Int]) throws -> Double {
        let model = try architecture.makeModel(key: RandomKey(seed: 0, purpose: "flops"))
        if let classifier = model as? any ImageClassifier { return try forward(of: classifier, imageShape: imageShape) }
        if let predictor = model as? any NoisePredictor { return try forward(of: predictor, imageShape: imageShape) }
        throw TensorError("flops", "a \(architecture.familyName) model is neither a classifier nor a noise model, so it has no forward pass to count")
    }
}
