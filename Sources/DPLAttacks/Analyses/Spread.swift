import DPLTensor
import Foundation

// MARK: - Spread across random draws

/// How much of a randomized defense's outcome is its randomness
/// (`measure spread draws=K`): for each input, the spread of the purified outputs and of the
/// predictions across K draws.
public struct SpreadMeasurement: Sendable {
    /// The number of draws.
    public let draws: Int
    /// Per sample: the standard deviation across draws of each purified pixel (population,
    /// divided by K), averaged over the sample's pixels.
    public let pixelStandardDeviation: [Float]
    /// Per sample: the fraction of draws that predict the modal class (1 = always the same).
    public let agreement: [Float]
    /// Per sample: the entropy in bits of the predicted-class frequencies across draws
    /// (0 = always the same class; log₂K at most).
    public let predictionEntropy: [Float]
    /// Per sample: the class predicted most often (ties to the smallest index).
    public let modalPrediction: [Int]

    /// Summaries of the three per-sample measures.
    public var pixelStandardDeviationSummary: SampleSummary { SampleSummary(pixelStandardDeviation) }
    /// Summary of the agreement rates.
    public var agreementSummary: SampleSummary { SampleSummary(agreement) }
    /// Summary of the entropies.
    public var predictionEntropySummary: SampleSummary { SampleSummary(predictionEntropy) }
}

/// Purifies and classifies `images` K times with the call indices
/// `DefenseCallIndex.make(.analysis, draw: k)` and measures the spread.
///
/// The closures keep this module free of the diffusion module's types: `purify` is
/// `(images, sampleIDs, call) -> purified` and `classify` maps purified images to logits.
/// - Throws: `AttackError` for K < 1, mismatched ids, or purified outputs of another shape;
///   errors of the closures pass through.
public func measureSpread(
    images: Tensor, sampleIDs: [UInt64], draws: Int,
    purify: (Tensor, [UInt64], UInt64) throws -> Tensor, classify: (Tensor) throws -> Tensor
) throws -> SpreadMeasurement {
    guard draws >= 1, draws <= DefenseCallIndex.maxDraw + 1 else {
        throw AttackError("measure spread", "draws=\(draws) must be between 1 and \(DefenseCallIndex.maxDraw + 1)")
    }
    guard images.rank >= 1, images.shape[0] == sampleIDs.count else {
        throw AttackError("measure spread", "images of shape \(images.shape) need one sample id per row, but \(sampleIDs.count) were given")
    }
    let samples = sampleIDs.count, width = samples == 0 ? 0 : images.count / samples
    var sums = [Double](repeating: 0, count: images.count), squares = sums
    var predictions = [[Int]](repeating: [], count: samples)
    try withoutGradients {
        for k in 0..<draws {
            let purified = try purify(images.detached(), sampleIDs, DefenseCallIndex.make(.analysis, draw: k))
            guard purified.shape == images.shape else {
                throw AttackError("measure spread", "purification returned shape \(purified.shape) for images of shape \(images.shape)")
            }
            let values = purified.scalars
            for i in values.indices {
                let v = Double(values[i])
                sums[i] += v
                squares[i] += v * v
            }
            let logits = try classify(purified)
            guard logits.rank == 2, logits.shape[0] == samples else {
                throw AttackError("measure spread", "the classifier returned logits of shape \(logits.shape) for \(samples) images")
            }
            let predicted = rowArgmax(logits.scalars, classes: logits.shape[1])
            for n in 0..<samples { predictions[n].append(predicted[n]) }
        }
    }
    let k = Double(draws)
    var pixelStd = [Float](repeating: 0, count: samples)
    var agreement = pixelStd, entropy = pixelStd
    var modal = [Int](repeating: 0, count: samples)
    for n in 0..<samples {
        var total: Double = 0
        for j in 0..<width {
            let i = n * width + j
            let mean = sums[i] / k
            total += Swift.max(squares[i] / k - mean * mean, 0).squareRoot()
        }
        pixelStd[n] = width == 0 ? 0 : Float(total / Double(width))
        var counts = [Int: Int]()
        for p in predictions[n] { counts[p, default: 0] += 1 }
        let most = counts.values.max() ?? 0
        modal[n] = counts.filter { $0.value == most }.map(\.key).min() ?? 0
        agreement[n] = Float(Double(most) / k)
        var h: Double = 0
        for count in counts.values {
            let p = Double(count) / k
            h -= p * log2(p)
        }
        entropy[n] = Float(h)
    }
    return SpreadMeasurement(draws: draws, pixelStandardDeviation: pixelStd, agreement: agreement,
                             predictionEntropy: entropy, modalPrediction: modal)
}
