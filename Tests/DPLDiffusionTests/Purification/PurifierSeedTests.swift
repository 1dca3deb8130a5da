import Testing
@testable import DPLDiffusion
import DPLTensor

@Suite("Purifier: seed modes and keyed noise")
struct PurifierSeedTests {
    static let model = try! AnalyticGaussianDenoiser(mean: 0, standardDeviation: 0.5, matching: .ddpm)
    static let samplers: [Sampler] = [.ddpm, .ddim(steps: 5, eta: 0.5), .sde()]

    func images(_ n: Int = 4) throws -> Tensor {
        try Tensor.uniform(shape: [n, 1, 6, 6], key: RandomKey(seed: 4, purpose: "test.images"), sampleIDs: sampleIDs(n))
    }

    func purifier(_ sampler: Sampler, seed: SeedMode) throws -> Purifier {
        try Purifier(model: Self.model, settings: PurificationSettings(t: 20, sampler: sampler, seed: seed))
    }

    @Test("fixed: the same images purify to the same bits on every call", arguments: samplers)
    func fixedIsDeterministic(sampler: Sampler) throws {
        let p = try purifier(sampler, seed: .fixed)
        let x = try images()
        let first = try p.purify(x, sampleIDs: sampleIDs(4))
        #expect(try p.purify(x, sampleIDs: sampleIDs(4)).scalars == first.scalars)
        #expect(first.shape == x.shape)
        #expect(first.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(first.scalars != x.scalars)
    }

    @Test("seed=N is deterministic under its own key and differs from fixed")
    func explicitSeed() throws {
        let x = try images()
        let seeded = try purifier(.ddpm, seed: .seed(42))
        let a = try seeded.purify(x, sampleIDs: sampleIDs(4))
        #expect(try seeded.purify(x, sampleIDs: sampleIDs(4)).scalars == a.scalars)
        #expect(try purifier(.ddpm, seed: .fixed).purify(x, sampleIDs: sampleIDs(4)).scalars != a.scalars)
        #expect(try purifier(.ddpm, seed: .seed(SeedMode.defaultSeed)).purify(x, sampleIDs: sampleIDs(4)).scalars
                == purifier(.ddpm, seed: .fixed).purify(x, sampleIDs: sampleIDs(4)).scalars)
    }

    @Test("random: each call index draws fresh noise; a repeated call replays its draw", arguments: samplers)
    func randomDiffers(sampler: Sampler) throws {
        let x = try images()
        let p = try purifier(sampler, seed: .random(stream: 5))
        let first = try p.purify(x, sampleIDs: sampleIDs(4), call: 0)
        let second = try p.purify(x, sampleIDs: sampleIDs(4), call: 1)
        #expect(first.scalars != second.scalars)
        // Nothing is counted: the same call gives the same bits, from any purifier of the stream.
        #expect(try p.purify(x, sampleIDs: sampleIDs(4), call: 0).scalars == first.scalars)
        let replay = try purifier(sampler, seed: .random(stream: 5))
        #expect(try replay.purify(x, sampleIDs: sampleIDs(4), call: 1).scalars == second.scalars)
        // Defense call c is purification call c + 1 under the stream's seed.
        #expect(try p.purify(x, sampleIDs: sampleIDs(4), noise: PurificationNoise(seed: 5, call: 2)).scalars == second.scalars)
        // Call indices start at 1, so no random draw repeats the call-0 noise of its key.
        #expect(try purifier(sampler, seed: .seed(5)).purify(x, sampleIDs: sampleIDs(4)).scalars != first.scalars)
        // Another stream draws other noise for the same call.
        #expect(try purifier(sampler, seed: .random(stream: 6)).purify(x, sampleIDs: sampleIDs(4), call: 0).scalars != first.scalars)
    }

    @Test("a randomized stage's stream is SplitMix64's invocation-th value from the session seed")
    func randomStreams() {
        var generator = SplitMix64(seed: 7)
        let values = (0..<3).map { _ in generator.next() }
        #expect((1...3).map { SeedMode.randomStream(session: 7, invocation: UInt64($0)) } == values)
        #expect(SeedMode.randomStream(session: 7, invocation: 1) != SeedMode.randomStream(session: 8, invocation: 1))
    }

    @Test("a sample purifies to the same bits alone, in any batch, at any row", arguments: samplers)
    func batchIndependence(sampler: Sampler) throws {
        let p = try purifier(sampler, seed: .seed(9))
        let x = try images(5)
        let ids: [UInt64] = [100, 7, 55, 3, 21]
        let batch = try p.purify(x, sampleIDs: ids)
        let rowLength = 36
        for row in [0, 3] {
            let single = try x.gather(rows: [row])
            let alone = try p.purify(single, sampleIDs: [ids[row]])
            #expect(alone.scalars == Array(batch.scalars[row * rowLength ..< (row + 1) * rowLength]))
        }
        let reversed = try p.purify(try x.gather(rows: [4, 3, 2, 1, 0]), sampleIDs: ids.reversed())
        #expect(Array(reversed.scalars[0..<rowLength]) == Array(batch.scalars[4 * rowLength ..< 5 * rowLength]))
    }

    @Test("mismatched ids are reported")
    func mismatchedIDs() throws {
        #expect(throws: DiffusionError.self) { try purifier(.ddpm, seed: .fixed).purify(try images(), sampleIDs: [1]) }
    }
}
