import Testing
@testable import DPLDiffusion
import DPLNN
import DPLTensor

@Suite("ReverseProcess structure")
struct ReverseProcessTests {
    let model = try! AnalyticGaussianDenoiser(mean: 0, standardDeviation: 0.5, timeScale: .discrete(.ddpm))

    @Test("DDPM takes t steps; DDIM visits strided indices from t − 1; the SDE steps 1e-3 to 1e-5")
    func stepPlans() throws {
        #expect(try ReverseProcess(sampler: .ddpm, t: 100, model: model).stepCount == 100)
        let ddim = try ReverseProcess(sampler: .ddim(steps: 10), t: 100, model: model)
        #expect(ddim.ddimIndices == [99, 89, 79, 69, 59, 49, 39, 29, 19, 9])
        #expect(try ReverseProcess(sampler: .ddim(steps: 7), t: 7, model: model).ddimIndices == [6, 5, 4, 3, 2, 1, 0])
        #expect(try ReverseProcess(sampler: .ddim(steps: 3), t: 10, model: model).ddimIndices == [9, 6, 2])
        let sde = try ReverseProcess(sampler: .sde(), t: 100, model: model)
        #expect(sde.stepCount == 100)
        // torchsde's float32 clock, as DiffPure runs it (values printed by torch 2.15 + torchsde 0.2.6).
        #expect(sde.sdeTimes[0] == 0.10000002384185791)
        #expect(sde.sdeTimes[1] == 0.09900003671646118)
        #expect(sde.sdeTimes[99] == 0.0010012984275817871)
        #expect(sde.sdeTimes[100] == 1.0013580322265625e-05)
        let short = try ReverseProcess(sampler: .sde(), t: 3, model: model)
        #expect(short.sdeTimes == [0.003000020980834961, 0.0020000338554382324, 0.001000046730041504, 1.0013580322265625e-05])
        let coarse = try ReverseProcess(sampler: .sde(stepSize: 0.02), t: 50, model: model)
        #expect(coarse.stepCount == 3)
        #expect(coarse.sdeTimes == [0.050000011920928955, 0.030000030994415283, 0.010000050067901611, 1.0013580322265625e-05])
    }

    @Test("invalid settings name the problem")
    func invalid() {
        #expect(throws: DiffusionError.self) { try ReverseProcess(sampler: .ddpm, t: 0, model: model) }
        #expect(throws: DiffusionError.self) { try ReverseProcess(sampler: .ddpm, t: 1001, model: model) }
        #expect(throws: DiffusionError.self) { try ReverseProcess(sampler: .ddim(steps: 0), t: 10, model: model) }
        #expect(throws: DiffusionError.self) { try ReverseProcess(sampler: .ddim(steps: 11), t: 10, model: model) }
        #expect(throws: DiffusionError.self) { try ReverseProcess(sampler: .ddim(steps: 5, eta: -1), t: 10, model: model) }
        #expect(throws: DiffusionError.self) { try ReverseProcess(sampler: .sde(stepSize: 0), t: 10, model: model) }
        #expect(throws: DiffusionError.self) { try ReverseProcess(sampler: .sde(stepSize: 1e-9), t: 10, model: model) }
    }

    @Test("DDIM with eta = 1 and every step injects DDPM's β̃ and ends with the same noise-free step")
    func ddimGeneralizesDDPM() throws {
        let x = try gaussianData(shape: [4, 1, 8, 8], mean: 0, standardDeviation: 1)
        let noise = PurificationNoise(seed: 3, call: 0)
        let ddpm = try ReverseProcess(sampler: .ddpm, t: 20, model: model, clipDenoised: false)
        let ddim = try ReverseProcess(sampler: .ddim(steps: 20, eta: 1), t: 20, model: model, clipDenoised: false)
        // The two draw their noise under different purposes, so compare σ² with β̃ step by
        // step, and the last (noise-free) step's values.
        for k in 0..<19 {
            let n = ddim.ddimIndices[k]
            let a = NoiseSchedule.ddpm.alphasCumprod[n], next = NoiseSchedule.ddpm.alphasCumprod[n - 1]
            let sigma = ((1 - next) / (1 - a)).squareRoot() * (1 - a / next).squareRoot()
            #expect(abs(sigma * sigma - NoiseSchedule.ddpm.posteriorVariance[n]) < 1e-12)
        }
        let last = try ddpm.step(19, x, noise: noise, sampleIDs: sampleIDs(4))
        let lastDDIM = try ddim.step(19, x, noise: noise, sampleIDs: sampleIDs(4))
        for i in 0..<x.count { #expect(abs(last.scalars[i] - lastDDIM.scalars[i]) < 1e-5) }
    }

    @Test("a noise model returning the wrong shape is reported")
    func wrongShape() throws {
        final class Broken: NoisePredictor {
            func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor { Tensor.zeros([1]) }
        }
        let process = try ReverseProcess(sampler: .ddpm, t: 3, model: Broken())
        #expect(throws: DiffusionError.self) {
            try process.run(Tensor.zeros([2, 1, 2, 2]), noise: PurificationNoise(seed: 0, call: 0), sampleIDs: [0, 1])
        }
    }

    @Test("adaptive checkpointing keeps a process whole only when the model's memory fits the budget")
    func adaptiveCheckpointing() {
        let tiny = 4_000_000   // ≈ unet-tiny's recorded bytes per image and step
        #expect(Checkpointing.adaptive.resolved(stepCount: 5, batch: 64, bytesPerImage: tiny) == .off)
        #expect(Checkpointing.adaptive.resolved(stepCount: 10, batch: 64, bytesPerImage: tiny) == .nested)
        #expect(Checkpointing.adaptive.resolved(stepCount: 100, batch: 1, bytesPerImage: tiny) == .off)
        #expect(Checkpointing.adaptive.resolved(stepCount: 5, batch: 1, bytesPerImage: nil) == .nested,
                "a model that does not say how much it keeps is always checkpointed")
        #expect(Checkpointing.adaptive.resolved(stepCount: Int.max, batch: 2, bytesPerImage: 1) == .nested)
        #expect(Checkpointing.nested.resolved(stepCount: 5, batch: 1, bytesPerImage: tiny) == .nested, "explicit choices stand")
        #expect(Checkpointing.adaptive.segmentLength(stepCount: 5) == nil)
    }

    @Test("unet-tiny says how much it keeps")
    func unetTinyRecordedBytes() throws {
        let model = try UNet(.tiny, key: RandomKey(seed: 0, purpose: "test"))
        #expect(model.recordedBytesPerImage == 24 * 4 * (32 * 28 * 28 + 64 * 14 * 14 + 64 * 7 * 7))
    }
}
