import Testing
import DPLTensor
import DPLTestSupport
@testable import DPLNN

@Suite("NIN layer")
struct NINTests {
    /// y[n, o, p] = Σ_c x[n, c, p] W[c, o] + b[o], with W stored [in, out] as score_sde does.
    @Test func contractsChannelsWithAnInByOutWeight() throws {
        let layer = try NIN(inChannels: 2, outChannels: 3, key: RandomKey(seed: 1, purpose: "test"))
        try layer.weight.assign(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
        try layer.bias.assign(Tensor(shape: [3], scalars: [0.5, 0, -1]))
        let x = try Tensor(shape: [1, 2, 1, 2], scalars: [1, 2, 10, 20])   // pixel 0: (1, 10), pixel 1: (2, 20)
        let y = try layer(x)
        #expect(y.shape == [1, 3, 1, 2])
        #expect(y.scalars == [41.5, 82.5, 52, 104, 62, 125])
        #expect(layer.namedParameters().map(\.name) == ["W", "b"])
    }

    @Test func inputGradientMatchesFiniteDifferences() throws {
        let layer = try NIN(inChannels: 3, outChannels: 2, key: RandomKey(seed: 2, purpose: "test"))
        var random = TestRandom(seed: 3)
        try checkGradients([random.tensor([2, 3, 2, 2])]) { try layer($0[0]) }
    }

    /// W and b gradients (through the transposed 1×1 kernel) against central differences.
    @Test func parameterGradientsMatchFiniteDifferences() throws {
        let layer = try NIN(inChannels: 3, outChannels: 2, key: RandomKey(seed: 4, purpose: "test"))
        var random = TestRandom(seed: 5)
        try layer.bias.assign(random.tensor([2]))
        let x = random.tensor([2, 3, 2, 2])
        let w = random.tensor([2, 2, 2, 2])
        let y = try withGradients { try layer(x) }
        let analytic = try gradients(of: y, wrt: [layer.weight.value, layer.bias.value], seed: w)
        func objective() throws -> Double {
            let out = try withoutGradients { try layer(x) }
            return zip(out.scalars, w.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        for (index, parameter) in [layer.weight, layer.bias].enumerated() {
            for i in 0..<parameter.value.count {
                parameter.withUnsafeMutableScalars { $0[i] += 1e-2 }
                let plus = try objective()
                parameter.withUnsafeMutableScalars { $0[i] -= 2e-2 }
                let minus = try objective()
                parameter.withUnsafeMutableScalars { $0[i] += 1e-2 }
                let numeric = (plus - minus) / 2e-2
                #expect(abs(Double(analytic[index].scalars[i]) - numeric) <= 2e-3 + 2e-2 * abs(numeric), "parameter \(index) element \(i)")
            }
        }
    }
}
