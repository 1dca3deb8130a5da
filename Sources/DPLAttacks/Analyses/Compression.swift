import DPLTensor

// MARK: - Compression under fixed randomness

/// How much purification shrinks distances (`measure compression`), under fixed randomness.
///
/// For a pair of inputs (a, b) of the same sample, purified with the same noise (the same
/// sample id and the same fixed key), the compression ratio is
///
///     ρ(a, b) = ‖P(a) − P(b)‖₂ / ‖a − b‖₂
///
/// (or with ‖·‖∞ in both places). ρ < 1: purification pulls the two inputs together. Two kinds
/// of pairs, both anchored at the clean image x:
///
/// - adversarial: (x, x_adv);
/// - random: (x, clip₀₁(x + r·u)), u a direction with ‖u‖ = 1 in the chosen norm (a Gaussian
///   normalized), radius r given (set it to the attack's ε to compare like with like), drawn
///   from keyed streams (seed, "analysis.compression", step = pair index) by sample id. The
///   denominator is the distance after clipping to [0, 1], the pair actually purified.
///
/// Both kinds share the anchor x, so their ratios differ only in the direction of the second
/// point: if purification removes adversarial perturbations specifically, ρ_adv < ρ_random; if
/// it merely contracts everything, they agree. Pairs at distance 0 (an attack that left a
/// sample unchanged, or a perturbation clipped away) have no ratio and are counted in
/// `skippedPairs`.
public struct CompressionMeasurement: Sendable {
    /// The norm of numerator and denominator.
    public let norm: AttackNorm
    /// The radius r of the random pairs.
    public let radius: Float
    /// Per sample: ρ(x, x_adv), nil where x_adv = x (or no adversarial snapshot was given).
    public let adversarialRatios: [Float?]
    /// Per sample, per random pair: ρ(x, x + r·u_j), nil where the clipped distance is 0.
    public let randomRatios: [[Float?]]

    /// The summary of the adversarial ratios that exist.
    public var adversarialSummary: SampleSummary { SampleSummary(adversarialRatios.compactMap { $0 }) }
    /// The summary over all random pairs that exist.
    public var randomSummary: SampleSummary { SampleSummary(randomRatios.flatMap { $0.compactMap { $0 } }) }
    /// Pairs without a ratio (distance 0 before purification).
    public var skippedPairs: Int {
        adversarialRatios.filter { $0 == nil }.count + randomRatios.reduce(0) { $0 + $1.filter { $0 == nil }.count }
    }
}

/// Measures compression ratios of `purify` on clean–adversarial pairs and on `pairsPerSample`
/// random pairs of radius `radius` per sample.
///
/// `purify` maps `(images, sampleIDs)` to purified images and must be deterministic — fixed
/// randomness, keyed by sample id — so both members of a pair see the same noise; this is
/// checked by purifying the clean batch twice (set `checkDeterminism` to false to skip the
/// extra pass when the caller guarantees it).
/// - Throws: `AttackError` on mismatched shapes or ids, a negative radius, a pair count below
///   0, or a `purify` that is not deterministic.
public func measureCompression(
    clean: Tensor, adversarial: Tensor?, sampleIDs: [UInt64], radius: Float, pairsPerSample: Int,
    seed: UInt64, norm: AttackNorm = .l2, checkDeterminism: Bool = true,
    purify: (Tensor, [UInt64]) throws -> Tensor
) throws -> CompressionMeasurement {
    guard clean.rank >= 1, clean.shape[0] == sampleIDs.count else {
        throw AttackError("measure compression", "images of shape \(clean.shape) need one sample id per row, but \(sampleIDs.count) were given")
    }
    if let adversarial, adversarial.shape != clean.shape {
        throw AttackError("measure compression", "the adversarial snapshot has shape \(adversarial.shape) but the clean one \(clean.shape)")
    }
    guard radius.isFinite, radius >= 0, pairsPerSample >= 0 else {
        throw AttackError("measure compression", "radius=\(radius) and pairs=\(pairsPerSample) must be non-negative")
    }
    let samples = sampleIDs.count, width = samples == 0 ? 0 : clean.count / samples
    func purified(_ x: Tensor) throws -> [Float] {
        let out = try withoutGradients { try purify(x.detached(), sampleIDs) }
        guard out.shape == x.shape else {
            throw AttackError("measure compression", "purification returned shape \(out.shape) for images of shape \(x.shape)")
        }
        return out.scalars
    }
    let anchor = try purified(clean)
    if checkDeterminism, try purified(clean) != anchor {
        throw AttackError("measure compression", "purifying the same images twice gave different results; compression is defined under fixed randomness, so use seed=fixed or seed=N")
    }
    func ratios(_ other: [Float], _ purifiedOther: [Float]) -> [Float?] {
        let before = rowNorms(other.indices.map { other[$0] - clean.scalars[$0] }, width: width, norm: norm)
        let after = rowNorms(purifiedOther.indices.map { purifiedOther[$0] - anchor[$0] }, width: width, norm: norm)
        return (0..<samples).map { before[$0] > 0 ? after[$0] / before[$0] : nil }
    }

    var adversarialRatios = [Float?](repeating: nil, count: samples)
    if let adversarial {
        adversarialRatios = ratios(adversarial.scalars, try purified(adversarial))
    }
    var randomRatios = [[Float?]](repeating: [], count: samples)
    for pair in 0..<pairsPerSample {
        let key = RandomKey(seed: seed, purpose: "analysis.compression", step: pair)
        let direction = try Tensor.normal(shape: clean.shape, key: key, sampleIDs: sampleIDs).scalars
        let lengths = rowNorms(direction, width: width, norm: norm)
        var point = clean.scalars
        for n in 0..<samples {
            let scale = lengths[n] > 0 ? radius / lengths[n] : 0
            for j in 0..<width {
                let i = n * width + j
                point[i] = Swift.min(Swift.max(point[i] + direction[i] * scale, 0), 1)
            }
        }
        let perturbed = try Tensor(shape: clean.shape, scalars: point)
        let pairRatios = ratios(point, try purified(perturbed))
        for n in 0..<samples { randomRatios[n].append(pairRatios[n]) }
    }
    return CompressionMeasurement(norm: norm, radius: radius, adversarialRatios: adversarialRatios, randomRatios: randomRatios)
}
