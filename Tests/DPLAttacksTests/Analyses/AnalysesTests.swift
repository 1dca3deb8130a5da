import DPLTensor
import Testing
@testable import DPLAttacks

@Suite struct DistanceTests {
    @Test func distancesPerSampleAndSummary() throws {
        let a = Tensor.zeros([3, 1, 1, 2])
        let b = try Tensor(shape: [3, 1, 1, 2], scalars: [3, 4, 0, 1, -2, 0])
        let l2 = try measureDistance(from: a, to: b, norm: .l2)
        #expect(l2.perSample == [5, 1, 2])
        #expect(l2.summary.mean == 8.0 / 3 && l2.summary.median == 2 && l2.summary.max == 5)
        let linf = try measureDistance(from: a, to: b, norm: .linf)
        #expect(linf.perSample == [4, 1, 2])
        #expect(throws: AttackError.self) { try measureDistance(from: a, to: Tensor.zeros([2, 1, 1, 2]), norm: .l2) }
        #expect(SampleSummary([1, 4, 2, 3]).median == 2.5)
        #expect(SampleSummary([]).mean == nil)
    }
}

@Suite struct SpreadTests {
    @Test func spreadOfAControlledRandomPurifier() throws {
        // Purification adds ±0.1 (the sign from the draw's parity) to sample 0 and nothing to
        // sample 1; the classifier reads the sign of the first pixel's change.
        let images = Tensor(repeating: 0.5, shape: [2, 1, 1, 2])
        let purify: (Tensor, [UInt64], UInt64) throws -> Tensor = { x, ids, call in
            let sign: Float = (call & 1) == 0 ? 1 : -1
            let offsets = ids.flatMap { id -> [Float] in id == 0 ? [0.1 * sign, 0.1 * sign] : [0, 0] }
            return try x + Tensor(shape: x.shape, scalars: offsets)
        }
        let classify: (Tensor) throws -> Tensor = { x in
            let rows = (0..<x.shape[0]).flatMap { n -> [Float] in x.scalars[n * 2] < 0.5 ? [0, 1] : [1, 0] }
            return try Tensor(shape: [x.shape[0], 2], scalars: rows)
        }
        let spread = try measureSpread(images: images, sampleIDs: [0, 1], draws: 4, purify: purify, classify: classify)
        #expect(abs(spread.pixelStandardDeviation[0] - 0.1) < 1e-6)
        #expect(spread.pixelStandardDeviation[1] == 0)
        #expect(spread.agreement == [0.5, 1])
        #expect(spread.predictionEntropy == [1, 0])
        #expect(spread.modalPrediction == [0, 0])
    }
}

@Suite struct CompressionTests {
    /// P(x) = 0.5 + 0.25·(x − 0.5): a contraction by exactly 1/4 everywhere.
    let contraction: (Tensor, [UInt64]) throws -> Tensor = { x, _ in (x - 0.5) * 0.25 + 0.5 }

    @Test func aUniformContractionHasRatioOneQuarterForEveryPair() throws {
        let clean = makeBatch(n: 3, low: 0.3, high: 0.7).images
        let adversarial = try clean + 0.05
        let result = try measureCompression(clean: clean, adversarial: adversarial, sampleIDs: [1, 2, 3], radius: 0.1,
                                            pairsPerSample: 4, seed: 0, purify: contraction)
        for ratio in result.adversarialRatios { #expect(abs(ratio! - 0.25) < 1e-4) }
        for pairs in result.randomRatios { #expect(pairs.count == 4); for r in pairs { #expect(abs(r! - 0.25) < 1e-4) } }
        #expect(result.skippedPairs == 0)
    }

    @Test func randomPairsHaveTheRequestedRadius() throws {
        // The identity has ratio 1; check the radius through the analytic numerator.
        let clean = makeBatch(n: 2, low: 0.3, high: 0.7).images
        var seen: [Tensor] = []
        _ = try measureCompression(clean: clean, adversarial: nil, sampleIDs: [1, 2], radius: 0.2, pairsPerSample: 1, seed: 0,
                                   checkDeterminism: false) { x, _ in seen.append(x); return x }
        let distance = try measureDistance(from: clean, to: seen[1], norm: .l2)
        for d in distance.perSample { #expect(abs(d - 0.2) < 1e-5) }
    }

    @Test func unchangedSamplesAreSkippedAndRandomPurifiersRefused() throws {
        let clean = makeBatch(n: 2, low: 0.3, high: 0.7).images
        let result = try measureCompression(clean: clean, adversarial: clean, sampleIDs: [1, 2], radius: 0.1,
                                            pairsPerSample: 0, seed: 0, purify: contraction)
        #expect(result.adversarialRatios == [nil, nil] && result.skippedPairs == 2)
        var calls = 0
        #expect(throws: AttackError.self) {
            try measureCompression(clean: clean, adversarial: nil, sampleIDs: [1, 2], radius: 0.1, pairsPerSample: 1, seed: 0) { x, _ in
                calls += 1
                return x + Float(calls) * 0.01
            }
        }
    }
}
