import DPLDiffusion
import DPLNN
import DPLTensor

// MARK: - Model forward passes and training steps

/// The two shipped architectures, freshly initialized (timing does not depend on the
/// weights' values), on 28×28 single-channel images. The same workloads are defined in
/// benchmarks/torch_bench.py under the same names, so the two tables line up.
enum ModelWorkloads {
    static let all: [Workload] = [cnnForward, cnnTrainStep, unetForward, unetTrainStep]

    /// `cnn-small` logits for a batch of 128, no graph recorded.
    static let cnnForward = Workload("cnn_small_forward_b128", flops: WorkloadFlops.cnnForward(batch: 128)) {
        let model = try CNNClassifier(.small, key: RandomKey(seed: 1, purpose: "bench.cnn"))
        var random = BenchRandom(seed: 5)
        let images = try random.unitImages(batch: 128)
        return { _ = try withoutGradients { try model.logits(images) } }
    }

    /// One `cnn-small` training step on a batch of 128: forward, mean cross-entropy, backward
    /// to every parameter, and an Adam step (as `ClassifierTrainer` does it).
    static let cnnTrainStep = Workload("cnn_small_train_step_b128", flops: WorkloadFlops.cnnTrainStep(batch: 128)) {
        let model = try CNNClassifier(.small, key: RandomKey(seed: 1, purpose: "bench.cnn"))
        var random = BenchRandom(seed: 6)
        let images = try random.unitImages(batch: 128)
        let labels = (0..<128).map { _ in Int(random.next() % 10) }
        let parameters = model.parameters()
        let optimizer = try Adam(learningRate: 1e-3)
        return {
            let loss = try withGradients { try crossEntropy(logits: model.logits(images), labels: labels) }
            try optimizer.step(parameters, gradients: gradients(of: loss, wrt: parameters.map(\.value)))
        }
    }

    /// `unet-tiny` noise prediction for a batch of 64 at timestep 100, no graph recorded.
    static let unetForward = Workload("unet_tiny_forward_b64", flops: WorkloadFlops.unetForward(batch: 64)) {
        let model = try UNet(.tiny, key: RandomKey(seed: 1, purpose: "bench.unet"))
        var random = BenchRandom(seed: 7)
        let images = try random.tensor([64, 1, 28, 28])
        let timesteps = [Float](repeating: 100, count: 64)
        return { _ = try withoutGradients { try model.predictNoise(images, timesteps: timesteps) } }
    }

    /// One DDPM training step of `unet-tiny` on a batch of 64 images in [−1, 1]: a timestep
    /// and Gaussian noise per image (drawn anew each run, keyed by the run), the ε-prediction
    /// loss `mse(ε_θ(√ᾱ_t x₀ + √(1−ᾱ_t) ε, t), ε)`, backward, and an Adam step — the work of
    /// `DiffusionTrainer.trainStep` without its batch gather and weight average.
    static let unetTrainStep = Workload("unet_tiny_train_step_b64", flops: WorkloadFlops.unetTrainStep(batch: 64)) {
        let model = try UNet(.tiny, key: RandomKey(seed: 1, purpose: "bench.unet"))
        var random = BenchRandom(seed: 8)
        let images = try random.tensor([64, 1, 28, 28])
        let parameters = model.parameters()
        let optimizer = try Adam(learningRate: 2e-4)
        let alphaBar = NoiseSchedule.ddpm.alphasCumprod
        let ids = (0..<UInt64(64)).map { $0 }
        var run = 0
        return {
            run += 1
            var stream = RandomKey(seed: 1, purpose: "bench.unet.timesteps", step: run).stream(sample: 0)
            let timesteps = (0..<64).map { _ in stream.nextInt(below: alphaBar.count) }
            let noise = try Tensor.normal(shape: images.shape, key: RandomKey(seed: 1, purpose: "bench.unet.noise", step: run),
                                          sampleIDs: ids)
            let signal = try Tensor(shape: [64, 1, 1, 1], scalars: timesteps.map { Float(alphaBar[$0].squareRoot()) })
            let noiseScale = try Tensor(shape: [64, 1, 1, 1], scalars: timesteps.map { Float((1 - alphaBar[$0]).squareRoot()) })
            let noised = try images * signal + noise * noiseScale
            let loss = try withGradients {
                try mse(model.predictNoise(noised, timesteps: timesteps.map(Float.init)), noise)
            }
            try optimizer.step(parameters, gradients: gradients(of: loss, wrt: parameters.map(\.value)))
        }
    }
}

extension BenchRandom {
    /// A batch of single-channel 28×28 images uniform in [0, 1).
    mutating func unitImages(batch: Int) throws -> Tensor {
        try tensor([batch, 1, 28, 28], scale: 0.5) + 0.5
    }
}
