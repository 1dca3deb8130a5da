import Testing
@testable import DPLDiffusion
import DPLTensor

/// Each sampler, run with the optimal ε-predictor on Gaussian data N(μ, s²) noised to t,
/// must return samples distributed as N(μ, s²) up to sampling error and its own
/// discretization bias.
///
/// Tolerance. The output has M = 128·32·32 = 131072 coordinates, independent (the analytic
/// model is elementwise and every coordinate has its own noise) and Gaussian (every step is
/// affine in Gaussians). The sample mean then has standard error σ/√M and the sample
/// variance σ²√(2/(M−1)); we allow 5 of each (a two-sided 5σ band: a correct sampler fails it
/// with probability below 6e-7 per seed).
///
/// Bias. A sampler with finitely many steps is not exact even with the optimal model: DDPM's
/// posterior variance β̃ ignores the uncertainty of x₀ given x_t, DDIM strides, Euler–Maruyama
/// has O(h) error, and DiffPure noises with the discrete ᾱ_{t−1} but starts the SDE at the
/// continuous ᾱ(t/1000). `GaussianMoments` propagates the exact moments of each sampler in
/// Double; the test checks (1) the samples against those exact moments within 5 SE — the
/// implementation is right — and (2) the exact moments against (μ, s²) within the stated
/// bias bound — the sampler is a good sampler. Hence (3) samples vs data within 5 SE + bias.
@Suite("Samplers: known answers on Gaussian data")
struct SamplerKnownAnswerTests {
    static let mu = 0.2, s = 0.3
    static let shape = [128, 1, 32, 32]

    /// (sampler, t, bound on |v*/s² − 1|, the sampler's variance bias with the exact model).
    static let cases: [(Sampler, Int, Double)] = [
        (.ddpm, 100, 0.03),                  // v* = 0.08790: −2.3 %
        (.ddpm, 25, 0.03),
        (.ddpm, 300, 0.03),
        (.ddim(steps: 20, eta: 0), 100, 0.05), // −3.9 %
        (.ddim(steps: 20, eta: 1), 100, 0.10), // −9.5 %: strided ancestral steps
        (.ddim(steps: 100, eta: 0), 100, 0.03),
        (.sde(), 100, 0.01),                 // −0.27 %
        (.sde(), 25, 0.01),
        (.sde(), 300, 0.01),                 // large t, where a wrong drift would show
        (.guided, 100, 0.01),                // +0.32 %: no learned variance, so β (FIXED_LARGE)
        (.guided, 25, 0.01),
    ]

    @Test("samples match the exact moments within 5 SE, and those match the data within the bias bound",
          arguments: 0..<cases.count)
    func knownAnswer(index: Int) throws {
        let (sampler, t, biasBound) = Self.cases[index]
        let model = try AnalyticGaussianDenoiser(mean: Float(Self.mu), standardDeviation: Float(Self.s), matching: sampler)
        let data = try gaussianData(shape: Self.shape, mean: Float(Self.mu), standardDeviation: Float(Self.s))
        let ids = sampleIDs(Self.shape[0])
        let noise = PurificationNoise(seed: 11, call: 0)
        let process = try ReverseProcess(sampler: sampler, t: t, model: model, clipDenoised: false)
        let output = try withoutGradients {
            try process.run(try NoiseSchedule.ddpm.diffuse(data, steps: t, noise: noise, sampleIDs: ids),
                            noise: noise, sampleIDs: ids)
        }
        let stats = SampleStatistics(output)
        let exact = GaussianMoments.afterPurification(sampler: sampler, t: t, dataMean: Self.mu, dataStandardDeviation: Self.s)
        let meanSE = SampleStatistics.meanStandardError(variance: exact.variance, count: stats.count)
        let varianceSE = SampleStatistics.varianceStandardError(variance: exact.variance, count: stats.count)

        // (1) the implementation against the exact moments of this sampler.
        #expect(abs(stats.mean - exact.mean) < 5 * meanSE, "\(sampler) t=\(t): mean \(stats.mean) vs exact \(exact.mean)")
        #expect(abs(stats.variance - exact.variance) < 5 * varianceSE, "\(sampler) t=\(t): variance \(stats.variance) vs exact \(exact.variance)")
        // (2) the sampler's bias with the optimal model.
        #expect(abs(exact.mean - Self.mu) < 1e-3)
        #expect(abs(exact.variance / (Self.s * Self.s) - 1) < biasBound)
        // (3) hence the samples against the data.
        #expect(abs(stats.mean - Self.mu) < 5 * meanSE + abs(exact.mean - Self.mu))
        #expect(abs(stats.variance - Self.s * Self.s) < 5 * varianceSE + abs(exact.variance - Self.s * Self.s))
    }

    @Test("the band has power: a denoiser assuming the wrong data variance lands outside it")
    func sensitivity() throws {
        let wrongModel = try AnalyticGaussianDenoiser(mean: Float(Self.mu), standardDeviation: 0.2, matching: .ddpm)
        let data = try gaussianData(shape: Self.shape, mean: Float(Self.mu), standardDeviation: Float(Self.s))
        let ids = sampleIDs(Self.shape[0])
        let noise = PurificationNoise(seed: 11, call: 0)
        let process = try ReverseProcess(sampler: .ddpm, t: 100, model: wrongModel, clipDenoised: false)
        let output = try process.run(try NoiseSchedule.ddpm.diffuse(data, steps: 100, noise: noise, sampleIDs: ids),
                                     noise: noise, sampleIDs: ids)
        let exact = GaussianMoments.afterPurification(sampler: .ddpm, t: 100, dataMean: Self.mu, dataStandardDeviation: Self.s)
        let se = SampleStatistics.varianceStandardError(variance: exact.variance, count: output.count)
        #expect(abs(SampleStatistics(output).variance - exact.variance) > 5 * se)
    }
}
