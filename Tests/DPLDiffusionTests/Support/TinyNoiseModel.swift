import DPLNN
import DPLTensor

/// A small nonlinear ε-model built from differentiable ops, for gradient checks:
/// ε̂(x, τ) = tanh(flat(x) W + (τ/1000) v), reshaped like x. Elementwise nonlinear and mixing
/// every pixel, so a wrong gradient anywhere in the reverse chain shows up.
final class TinyNoiseModel: NoisePredictor {
    let weight: Tensor
    let timeDirection: [Float]

    init(features: Int, seed: UInt64 = 5) throws {
        let scale = 1 / Float(features).squareRoot()
        weight = try Tensor.normal(shape: [features, features], key: RandomKey(seed: seed, purpose: "test.tiny.weight"),
                                   sampleIDs: sampleIDs(features), standardDeviation: scale)
        timeDirection = try Tensor.normal(shape: [1, features], key: RandomKey(seed: seed, purpose: "test.tiny.time"),
                                          sampleIDs: [0]).scalars
    }

    func predictNoise(_ x: Tensor, timesteps: [Float]) throws -> Tensor {
        let batch = x.shape[0], features = weight.shape[0]
        var timeScalars = [Float]()
        for step in timesteps { timeScalars += timeDirection.map { $0 * step / 1000 } }
        let timeTerm = try Tensor(shape: [batch, features], scalars: timeScalars)
        let mixed = try x.flattened().matmul(weight) + timeTerm
        return try tanh(mixed).reshaped(x.shape)
    }
}

/// Central-difference check of d⟨w, f(x)⟩/dx against reverse mode, in Double; the
/// tolerance discussion is in DPLTensorTests' GradientCheck (float32 values, h = 1e-2).
func finiteDifferenceMismatches(at x: Tensor, cotangent w: Tensor, step h: Float = 1e-2,
                                atol: Double = 2e-3, rtol: Double = 2e-2,
                                _ f: (Tensor) throws -> Tensor) throws -> [String] {
    let leaf = x.detached().requiringGrad()
    let output = try withGradients { try f(leaf) }
    let analytic = try gradients(of: output, wrt: [leaf], seed: w)[0]
    func objective(_ input: Tensor) throws -> Double {
        let y = try withoutGradients { try f(input) }
        return zip(y.scalars, w.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    var mismatches = [String]()
    for i in 0..<x.count {
        var plus = x.detached(), minus = x.detached()
        plus.withUnsafeMutableScalars { $0[i] += h }
        minus.withUnsafeMutableScalars { $0[i] -= h }
        let numeric = (try objective(plus) - objective(minus)) / Double(2 * h)
        let got = Double(analytic.scalars[i])
        if abs(got - numeric) > atol + rtol * abs(numeric) {
            mismatches.append("element \(i): analytic \(got) vs numeric \(numeric)")
        }
    }
    return mismatches
}
