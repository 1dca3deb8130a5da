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

    @Test("random: each call draws fresh noise; a counter restarted at the same index replays it", arguments: samplers)
    func randomDiffers(sampler: Sampler) throws {
        let x = try images()
        let counter = RandomCallCounter()
        let p = try purifier(sampler, seed: .random(counter))
        let first = try p.purify(x, sampleIDs: sampleIDs(4))
        let second = try p.purify(x, sampleIDs: sampleIDs(4))
        #expect(first.scalars != second.scalars)
        #expect(counter.peek == 3)
        let replay = try purifier(sampler, seed: .random(RandomCallCounter(startingAt: 1)))
        #expect(try replay.purify(x, sampleIDs: sampleIDs(4)).scalars == first.scalars)
        // Passing the keys explicitly replays a draw without touching the counter.
        #expect(try p.purify(x, sampleIDs: sampleIDs(4), noise: PurificationNoise(seed: 0, call: 2)).scalars == second.scalars)
        #expect(counter.peek == 3)
        // Call indices start at 1, so no random draw repeats the fixed noise.
        #expect(try purifier(sampler, seed: .fixed).purify(x, sampleIDs: sampleIDs(4)).scalars != first.scalars)
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
