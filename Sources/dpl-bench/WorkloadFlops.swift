// MARK: - FLOP counts of the model workloads

/// Floating-point operations of the models' convolutions and linear layers (2 per
/// multiply–add), per batch, so the table can show achieved GFLOP/s next to the machine's
/// sgemm peak. GroupNorm, activations and elementwise work are not counted (a few % of the
/// FLOPs, but memory-bound), nor is work an implementation chooses to redo (checkpointing's
/// recomputation): the count is the same for DPL and PyTorch.
///
/// The per-image numbers were counted layer by layer with forward hooks on the PyTorch twins
/// in benchmarks/torch_reference_models.py (`2 · output elements · in · kh · kw` per conv,
/// `2 · output elements · in` per linear layer).
enum WorkloadFlops {
    /// `unet-tiny` forward, one 28×28 image: 17.0998 GFLOP per 64 images.
    static let unetForwardPerImage = 17_099_784_192.0 / 64
    /// The stem's input gradient, which no workload needs (the images are not trained).
    static let unetStemPerImage = 28_901_376.0 / 64
    /// `cnn-small` forward, one image: 7.8683 GFLOP per 128 images.
    static let cnnForwardPerImage = 7_868_252_160.0 / 128
    /// The first conv (1 → 32 channels), whose input gradient only an attack needs.
    static let cnnFirstConvPerImage = 57_802_752.0 / 128

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
