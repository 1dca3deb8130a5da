import Foundation
import DPLNN

// MARK: - FLOP counts of the model workloads

/// Floating-point operations of the models' convolutions and matrix products (2 per
/// multiply–add), per batch, so the table can show achieved GFLOP/s next to the machine's
/// sgemm peak. They come from `ModelFlops`, which counts the products a forward pass runs —
/// the same count `dpl estimate` uses. GroupNorm, activations and elementwise work are not
/// counted (a few % of the FLOPs, but memory-bound), nor is work an implementation chooses
/// to redo (checkpointing's recomputation): the count is the same for DPL and PyTorch, and
/// matches the forward hooks on the PyTorch twins in benchmarks/torch_reference_models.py.
enum WorkloadFlops {
    /// `unet-tiny` forward, one 28×28 image.
    static let unetForwardPerImage = forwardPerImage(.unet(.tiny))
    /// The stem's input gradient, which no workload needs (the images are not trained):
    /// a 3×3 convolution from the image channels to the base width at full resolution.
    static let unetStemPerImage = firstConvolution(inChannels: UNet.Configuration.tiny.imageChannels,
                                                   outChannels: UNet.Configuration.tiny.baseWidth,
                                                   size: UNet.Configuration.tiny.imageSize)
    /// `cnn-small` forward, one image.
    static let cnnForwardPerImage = forwardPerImage(.cnn(.small))
    /// The first conv, whose input gradient only an attack needs.
    static let cnnFirstConvPerImage = firstConvolution(inChannels: CNNClassifier.Configuration.small.inputChannels,
                                                       outChannels: CNNClassifier.Configuration.small.widths[0],
                                                       size: CNNClassifier.Configuration.small.imageSize)

    /// FLOPs of a padded 3×3 convolution on `size`×`size` images.
    static func firstConvolution(inChannels: Int, outChannels: Int, size: Int) -> Double {
        2 * Double(size * size * outChannels * inChannels * 9)
    }

    /// The forward FLOPs of one 28×28 single-channel image; NaN (shown as such in the table)
    /// if the model cannot be built, which would be a bug in DPL itself.
    static func forwardPerImage(_ architecture: Architecture) -> Double {
        do {
            return try ModelFlops.forward(of: architecture, imageShape: [1, 28, 28])
        } catch {
            FileHandle.standardError.write(Data("dpl-bench: cannot count the FLOPs of \(architecture.familyName): \(error)\n".utf8))
            return .nan
        }
    }

    static func unetForward(batch: Int) -> Double { Double(batch) * unetForwardPerImage }

    /// Forward, input gradient and weight gradient of every layer (each as costly as the
    /// forward product), without the stem's input gradient.
    static func unetTrainStep(batch: Int) -> Double { Double(batch) * (3 * unetForwardPerImage - unetStemPerImage) }

    /// Forward and input gradient (what an attack through the denoiser needs; no weight
    /// gradients).
    static func unetInputGradient(batch: Int) -> Double { Double(batch) * 2 * unetForwardPerImage }

    static func cnnForward(batch: Int) -> Double { Double(batch) * cnnForwardPerImage }

    /// Forward, input and weight gradients, without the first conv's input gradient.
    static func cnnTrainStep(batch: Int) -> Double { Double(batch) * (3 * cnnForwardPerImage - cnnFirstConvPerImage) }

    /// Forward and input gradient down to the images.
    static func cnnInputGradient(batch: Int) -> Double { Double(batch) * 2 * cnnForwardPerImage }
}
