import DPLDiffusion
import DPLNN
import DPLTensor

// MARK: - Diffusion purification

/// Purification with the shipped architecture `unet-tiny` (freshly initialized: the timing
/// does not depend on the weights' values) on 28×28 single-channel images.
enum PurificationWorkloads {
    static let all: [Workload] = [ddpmInference, fullGradient]

    /// 100 DDPM reverse steps on a batch of 64, no graph (an evaluation pass).
    static let ddpmInference = Workload("purify_ddpm_t100_b64", flops: 100 * WorkloadFlops.unetForward(batch: 64)) {
        let (purifier, images, ids) = try inputs(t: 100, batch: 64, gradient: .none)
        return { _ = try purifier.purify(images, sampleIDs: ids) }
    }

    /// The value and the input gradient through 20 DDPM reverse steps on a batch of 16
    /// (`grad=full`, automatic checkpointing): one step of an adaptive attack.
    static let fullGradient = Workload("purify_full_grad_t20_b16", flops: 20 * WorkloadFlops.unetInputGradient(batch: 16)) {
        let (purifier, images, ids) = try inputs(t: 20, batch: 16, gradient: .full)
        var random = BenchRandom(seed: 4)
        let cotangent = try random.tensor(images.shape)
        return {
            let x = images.requiringGrad()
            let y = try purifier.purify(x, sampleIDs: ids)
            _ = try gradients(of: y, wrt: [x], seed: cotangent)
        }
    }

    /// A `unet-tiny` purifier with fixed noise and images uniform in [0, 1].
    static func inputs(t: Int, batch: Int, gradient: GradientMode) throws -> (Purifier, Tensor, [UInt64]) {
        let model = try UNet(.tiny, key: RandomKey(seed: 1, purpose: "bench.unet"))
        let settings = PurificationSettings(t: t, sampler: .ddpm, seed: .fixed, gradient: gradient)
        let ids = (0..<UInt64(batch)).map { $0 }
        let images = try Tensor.uniform(shape: [batch, 1, 28, 28], key: RandomKey(seed: 1, purpose: "bench.images"), sampleIDs: ids)
        return (try Purifier(model: model, settings: settings), images, ids)
    }
}
