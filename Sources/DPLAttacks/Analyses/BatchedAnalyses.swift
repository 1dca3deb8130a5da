import DPLTensor

// MARK: - Analyses over a whole dataset

/// Consecutive row ranges of `count` samples in batches of `batchSize`.
private func batches(_ count: Int, _ batchSize: Int) -> [Range<Int>] {
    stride(from: 0, to: count, by: max(1, batchSize)).map { $0..<min(count, $0 + max(1, batchSize)) }
}

private func rows(_ tensor: Tensor, _ range: Range<Int>) throws -> Tensor {
    range == 0..<(tensor.shape.first ?? 0) ? tensor : try tensor.slice(axis: 0, range: range)
}

/// `measureSpread` over every sample of `images`, in batches of `batchSize`. Every draw is
/// keyed by sample id and call index, so the values do not depend on the batch size.
/// - Parameters:
///   - progress: called after each batch with the number of samples done.
///   - checkCancellation: runs before each batch; what it throws ends the measurement.
/// - Throws: as `measureSpread`.
public func measureSpread(
    images: Tensor, sampleIDs: [UInt64], batchSize: Int, draws: Int,
    purify: (Tensor, [UInt64], UInt64) throws -> Tensor, classify: (Tensor) throws -> Tensor,
    progress: (Int) -> Void = { _ in }, checkCancellation: () throws -> Void = {}
) throws -> SpreadMeasurement {
    var pixelSpread: [Float] = [], agreement: [Float] = [], entropy: [Float] = [], modal: [Int] = []
    for range in batches(sampleIDs.count, batchSize) {
        try checkCancellation()
        let measured = try measureSpread(images: try rows(images, range), sampleIDs: Array(sampleIDs[range]),
                                         draws: draws, purify: purify, classify: classify)
        pixelSpread += measured.pixelStandardDeviation
        agreement += measured.agreement
        entropy += measured.predictionEntropy
        modal += measured.modalPrediction
        progress(range.upperBound)
    }
    return SpreadMeasurement(draws: draws, pixelStandardDeviation: pixelSpread, agreement: agreement,
                             predictionEntropy: entropy, modalPrediction: modal)
}

/// `measureCompression` over every sample, in batches of `batchSize`. Random pairs are keyed
/// by sample id, so the values do not depend on the batch size.
/// - Parameters:
///   - progress: called after each batch with the number of samples done.
///   - checkCancellation: runs before each batch; what it throws ends the measurement.
/// - Throws: as `measureCompression`.
public func measureCompression(
    clean: Tensor, adversarial: Tensor?, sampleIDs: [UInt64], batchSize: Int, radius: Float, pairsPerSample: Int,
    seed: UInt64, norm: AttackNorm = .l2, purify: (Tensor, [UInt64]) throws -> Tensor,
    progress: (Int) -> Void = { _ in }, checkCancellation: () throws -> Void = {}
) throws -> CompressionMeasurement {
    var adversarialRatios: [Float?] = [], randomRatios: [[Float?]] = []
    for range in batches(sampleIDs.count, batchSize) {
        try checkCancellation()
        let measured = try measureCompression(
            clean: try rows(clean, range), adversarial: try adversarial.map { try rows($0, range) },
            sampleIDs: Array(sampleIDs[range]), radius: radius, pairsPerSample: pairsPerSample, seed: seed, norm: norm,
            purify: purify)
        adversarialRatios += measured.adversarialRatios
        randomRatios += measured.randomRatios
        progress(range.upperBound)
    }
    return CompressionMeasurement(norm: norm, radius: radius, adversarialRatios: adversarialRatios, randomRatios: randomRatios)
}
