import Foundation
import Testing
@testable import DPLDiffusion

@Suite("NoiseSchedule")
struct NoiseScheduleTests {
    let schedule = NoiseSchedule.ddpm

    @Test("DDPM betas are linear from 1e-4 to 0.02 over 1000 steps")
    func linearBetas() throws {
        #expect(schedule.stepCount == 1000)
        #expect(schedule.betas[0] == 1e-4)
        #expect(abs(schedule.betas[999] - 0.02) < 1e-15)
        for n in [1, 250, 500, 998] {
            #expect(abs(schedule.betas[n] - (1e-4 + Double(n) * (0.02 - 1e-4) / 999)) < 1e-15)
        }
        #expect(try NoiseSchedule.linear() == schedule)
    }

    @Test("alphas and ᾱ follow their definitions; ᾱ_999 matches the published 4.0358e-5")
    func cumulativeProducts() {
        var product = 1.0
        for n in 0..<1000 {
            #expect(schedule.alphas[n] == 1 - schedule.betas[n])
            product *= 1 - schedule.betas[n]
            #expect(abs(schedule.alphasCumprod[n] - product) <= 1e-15)
        }
        #expect(schedule.alphasCumprodPrevious[0] == 1)
        #expect(schedule.alphasCumprodPrevious[500] == schedule.alphasCumprod[499])
        #expect(abs(schedule.alphasCumprod[999] - 4.035829765e-5) < 1e-12)
        #expect(abs(schedule.alphasCumprod[99] - 0.897018145675) < 1e-10)
    }

    @Test("posterior coefficients match their formulas and reproduce q(x_{n-1} | x_0)")
    func posterior() {
        for n in [0, 1, 50, 99, 500, 999] {
            let abar = schedule.alphasCumprod[n], previous = schedule.alphasCumprodPrevious[n], beta = schedule.betas[n]
            #expect(abs(schedule.posteriorVariance[n] - beta * (1 - previous) / (1 - abar)) < 1e-15)
            #expect(abs(schedule.posteriorMeanCoefficientX0[n] - beta * previous.squareRoot() / (1 - abar)) < 1e-15)
            #expect(abs(schedule.posteriorMeanCoefficientXt[n] - (1 - previous) * (1 - beta).squareRoot() / (1 - abar)) < 1e-15)
            // Integrating x_n out of the posterior must give back q(x_{n-1} | x_0):
            // mean √ᾱ_{n-1} = c₀ + c_t √ᾱ_n and variance 1 − ᾱ_{n-1} = c_t² (1 − ᾱ_n) + β̃_n.
            let c0 = schedule.posteriorMeanCoefficientX0[n], ct = schedule.posteriorMeanCoefficientXt[n]
            #expect(abs(previous.squareRoot() - (c0 + ct * abar.squareRoot())) < 1e-12)
            #expect(abs((1 - previous) - (ct * ct * (1 - abar) + schedule.posteriorVariance[n])) < 1e-12)
        }
        #expect(schedule.posteriorVariance[0] == 0)
        #expect(abs(schedule.posteriorMeanCoefficientX0[0] - 1) < 1e-12)
    }

    @Test("ᾱ between integer timesteps interpolates log ᾱ and clamps outside 0…T−1")
    func interpolatedAlphaBar() {
        #expect(schedule.alphaBar(atTimestep: 99) == schedule.alphasCumprod[99])
        let halfway = schedule.alphaBar(atTimestep: 99.5)
        #expect(abs(halfway - (schedule.alphasCumprod[99] * schedule.alphasCumprod[100]).squareRoot()) < 1e-12)
        #expect(schedule.alphaBar(atTimestep: -3) == schedule.alphasCumprod[0])
        #expect(schedule.alphaBar(atTimestep: 5000) == schedule.alphasCumprod[999])
    }

    @Test("invalid schedules are rejected")
    func invalid() {
        #expect(throws: DiffusionError.self) { try NoiseSchedule(betas: []) }
        #expect(throws: DiffusionError.self) { try NoiseSchedule(betas: [0.1, 1.0]) }
        #expect(throws: DiffusionError.self) { try NoiseSchedule.linear(steps: 0) }
    }
}
