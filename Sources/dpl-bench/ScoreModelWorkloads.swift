import DPLNN
import DPLTensor

// MARK: - DiffPure's full-size score model

/// DiffPure's score models, freshly initialized: CIFAR-10 NCSN++ (`ncsnpp`, 106.6M parameters) and
/// ImageNet ADM (552.8M). For NCSN++, the cost of
/// one reverse SDE step is one of these forward passes per image, and an exact-gradient attack
/// pays for the backward pass too (docs/models.md projects DiffPure's evaluation from them).
enum ScoreModelWorkloads {
    static let all: [Workload] = [ncsnppForward, ncsnppInputGradient, admForward]

    /// ε̂ for a batch of 4 CIFAR-10 images at label 99.9 (τ = 0.1), no graph recorded.
    static let ncsnppForward = Workload("ncsnpp_cifar10_forward_b4") {
        let model = try NCSNpp(.cifar10, key: RandomKey(seed: 1, purpose: "bench.ncsnpp"))
        var random = BenchRandom(seed: 9)
        let images = try random.tensor([4, 3, 32, 32])
        let labels = [Float](repeating: 99.9, count: 4)
        return { _ = try withoutGradients { try model.predictNoise(images, timesteps: labels) } }
    }

    /// The gradient of Σ ε̂ with respect to the input of one image: a recorded forward pass and
    /// its backward pass to the image only (what each reverse step costs an attack without
    /// recomputation).
    static let ncsnppInputGradient = Workload("ncsnpp_cifar10_input_gradient_b1") {
        let model = try NCSNpp(.cifar10, key: RandomKey(seed: 1, purpose: "bench.ncsnpp"))
        var random = BenchRandom(seed: 10)
        let image = try random.tensor([1, 3, 32, 32])
        return {
            let leaf = image.requiringGrad()
            let output = try withGradients { try model.predictNoise(leaf, timesteps: [99.9]) }
            _ = try gradients(of: output, wrt: [leaf], seed: .ones(output.shape))
        }
    }

    /// DiffPure's ImageNet model (`ADMUNet`, 552.8M parameters, 2.2 GB) on one 256×256 image
    /// at timestep 100, no graph recorded.
    static let admForward = Workload("adm_imagenet256_forward_b1") {
        let model = try ADMUNet(.imagenet256, key: RandomKey(seed: 1, purpose: "bench.adm"))
        var random = BenchRandom(seed: 11)
        let image = try random.tensor([1, 3, 256, 256])
        return { _ = try withoutGradients { try model.predictNoise(image, timesteps: [100]) } }
    }
}
