import Foundation
import Testing
@testable import DPLDiffusion

@Suite("VPSDE")
struct VPSDETests {
    let sde = VPSDE.diffPure

    @Test("β(τ) and ᾱ(τ) follow their formulas")
    func formulas() {
        #expect(sde.beta(at: 0) == 0.1)
        #expect(sde.beta(at: 1) == 20)
        #expect(abs(sde.beta(at: 0.25) - (0.1 + 0.25 * 19.9)) < 1e-14)
        #expect(sde.alphaBar(at: 0) == 1)
        for time in [1e-5, 0.01, 0.1, 0.5, 1.0] {
            let expected = exp(-0.1 * time - 0.5 * 19.9 * time * time)
            #expect(abs(sde.alphaBar(at: time) - expected) < 1e-15)
            let std = sde.marginalStandardDeviation(at: time)
            #expect(abs(std * std + expected - 1) < 1e-12)
        }
        // d log ᾱ / dτ = −β(τ): the SDE and its marginal agree.
        let h = 1e-6, time = 0.3
        let slope = (log(sde.alphaBar(at: time + h)) - log(sde.alphaBar(at: time - h))) / (2 * h)
        #expect(abs(slope + sde.beta(at: time)) < 1e-6)
    }

    @Test("the continuous ᾱ(t/1000) tracks the discrete ᾱ_{t−1} of DDPM's schedule")
    func agreesWithDiscrete() {
        for t in [10, 100, 500] {
            let discrete = NoiseSchedule.ddpm.alphasCumprod[t - 1]
            #expect(abs(sde.alphaBar(at: Double(t) / 1000) / discrete - 1) < 1e-2)
        }
    }

    @Test("invalid betas are rejected")
    func invalid() throws {
        #expect(throws: DiffusionError.self) { try VPSDE(betaMin: 0, betaMax: 20) }
        #expect(throws: DiffusionError.self) { try VPSDE(betaMin: 5, betaMax: 1) }
        #expect(try VPSDE(betaMin: 0.1, betaMax: 20) == sde)
    }
}
