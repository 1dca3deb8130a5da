import DPLTensor

// MARK: - Distance between two snapshots

/// Per-sample distances between two snapshots of the same batch and their summary
/// (`measure distance from=clean to=purified p=2|inf`).
public struct DistanceMeasurement: Sendable {
    /// The norm used.
    public let norm: AttackNorm
    /// `‖b_n − a_n‖` per sample, in batch order.
    public let perSample: [Float]
    /// Mean, median and max of `perSample`.
    public let summary: SampleSummary
}

/// The per-sample distance `‖to_n − from_n‖_p` over all of a sample's values, p = 2 or ∞.
/// - Throws: `AttackError` when the snapshots' shapes differ or have no sample axis.
public func measureDistance(from a: Tensor, to b: Tensor, norm: AttackNorm) throws -> DistanceMeasurement {
    guard a.shape == b.shape, a.rank >= 1 else {
        throw AttackError("measure distance", "the snapshots have shapes \(a.shape) and \(b.shape); they must be the same batch shape [N, ...]")
    }
    let samples = a.shape[0]
    let width = samples == 0 ? 0 : a.count / samples
    let (x, y) = (a.scalars, b.scalars)
    let perSample = rowNorms(x.indices.map { y[$0] - x[$0] }, width: width, norm: norm)
    return DistanceMeasurement(norm: norm, perSample: perSample, summary: SampleSummary(perSample))
}
