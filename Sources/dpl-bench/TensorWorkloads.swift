import DPLTensor

// MARK: - Tensor kernels: matrix product and convolution

/// Workloads of the tensor layer: the raw sgemm path and conv2d at the size of a small CNN's
/// second layer (32 → 64 channels, 3×3, 28×28, batch 128).
enum TensorWorkloads {
    static let all: [Workload] = [sgemm512, convForward, convBackward] + unetLayerConvolutions

    /// A 512×512 by 512×512 product through `Tensor.matmul` (one `sgemm`).
    static let sgemm512 = Workload("sgemm_512", flops: 2 * 512 * 512 * 512) {
        var random = BenchRandom(seed: 1)
        let a = try random.tensor([512, 512]), b = try random.tensor([512, 512])
        return { _ = try withoutGradients { try a.matmul(b) } }
    }

    static let convShape = (batch: 128, inChannels: 32, outChannels: 64, size: 28, kernel: 3)
    /// Multiply–adds of one forward pass, times 2.
    static let convFlops: Double = {
        let s = convShape
        return 2 * Double(s.batch * s.outChannels * s.size * s.size * s.inChannels * s.kernel * s.kernel)
    }()

    /// Forward conv2d with bias, padding 1, no graph recorded.
    static let convForward = Workload("conv2d_32to64_28x28_b128_forward", flops: convFlops) {
        let (x, w, b) = try convInputs()
        return { _ = try withoutGradients { try Tensor.conv2d(x, weight: w, bias: b, padding: 1) } }
    }

    /// Backward of conv2d: gradients for input, weight and bias (the forward is not timed).
    static let convBackward = Workload("conv2d_32to64_28x28_b128_backward", flops: 2 * convFlops) {
        let (x, w, b) = try convInputs()
        let leaves = [x.requiringGrad(), w.requiringGrad(), b.requiringGrad()]
        let y = try withGradients { try Tensor.conv2d(leaves[0], weight: leaves[1], bias: leaves[2], padding: 1) }
        return { _ = try gradients(of: y, wrt: leaves) }
    }

    /// The `unet-tiny` 3×3 convolutions by level (32 channels at 28×28, 64 at 14×14 and 7×7)
    /// and its 32 → 1 head, batch 64, forward with bias: the per-layer view of the U-Net
    /// workloads' convolution time.
    static let unetLayerConvolutions: [Workload] = [(32, 32, 28), (64, 64, 14), (64, 64, 7), (32, 1, 28)].map {
        channels, outChannels, size in
        let flops = 2 * Double(64 * outChannels * size * size * channels * 9)
        return Workload("conv2d_\(channels)to\(outChannels)_\(size)x\(size)_b64_forward", flops: flops) {
            var random = BenchRandom(seed: 3)
            let x = try random.tensor([64, channels, size, size])
            let w = try random.tensor([outChannels, channels, 3, 3], scale: 0.1)
            let b = try random.tensor([outChannels], scale: 0.1)
            return { _ = try withoutGradients { try Tensor.conv2d(x, weight: w, bias: b, padding: 1) } }
        }
    }

    private static func convInputs() throws -> (Tensor, Tensor, Tensor) {
        let s = convShape
        var random = BenchRandom(seed: 2)
        return (try random.tensor([s.batch, s.inChannels, s.size, s.size]),
                try random.tensor([s.outChannels, s.inChannels, s.kernel, s.kernel], scale: 0.1),
                try random.tensor([s.outChannels], scale: 0.1))
    }
}
