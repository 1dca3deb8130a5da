import Testing
import DPLTensor

/// Finite-difference check of reverse-mode gradients, shared by every test target that checks a
/// differentiable op or layer.
///
/// For a function `f` of several tensors, draws a random cotangent `w` of `f`'s output shape
/// and compares the analytic vector–Jacobian product (`gradients(of:wrt:seed: w)`) with central
/// differences of the scalar `⟨w, f(x)⟩`, accumulated in Double:
///
///     ∂⟨w, f⟩/∂x_i ≈ (⟨w, f(x + h e_i)⟩ − ⟨w, f(x − h e_i)⟩) / 2h
///
/// Tolerance: float32 forward values carry ~1e-7 relative error, so with h = 1e-2 the
/// difference quotient is good to roughly 1e-3 relative; the check passes when
/// |analytic − numeric| ≤ atol + rtol · |numeric| for every element (defaults atol 2e-3,
/// rtol 2e-2). Ops with kinks (ReLU, max, abs) must be tested at inputs away from the kink.
public func checkGradients(
    _ inputs: [Tensor],
    step h: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 2e-2,
    seed: UInt64 = 7,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ f: ([Tensor]) throws -> Tensor
) throws {
    var random = TestRandom(seed: seed)
    let leaves = inputs.map { $0.detached().requiringGrad() }
    let output = try withGradients { try f(leaves) }
    let w = random.tensor(output.shape)
    let analytic = try gradients(of: output, wrt: leaves, seed: w)

    func objective(_ xs: [Tensor]) throws -> Double {
        let y = try withoutGradients { try f(xs) }
        var total = 0.0
        for i in 0..<y.count { total += Double(y.scalars[i]) * Double(w.scalars[i]) }
        return total
    }

    for (index, input) in inputs.enumerated() {
        #expect(analytic[index].shape == input.shape, "gradient shape for input \(index)", sourceLocation: sourceLocation)
        var worst = 0.0
        for i in 0..<input.count {
            var plus = inputs.map { $0.detached() }, minus = plus
            plus[index].withUnsafeMutableScalars { $0[i] += h }
            minus[index].withUnsafeMutableScalars { $0[i] -= h }
            let numeric = (try objective(plus) - objective(minus)) / Double(2 * h)
            let got = Double(analytic[index].scalars[i])
            let error = abs(got - numeric)
            worst = max(worst, error - rtol * abs(numeric))
            if error > atol + rtol * abs(numeric) {
                Issue.record("input \(index) element \(i): analytic \(got) vs numeric \(numeric)", sourceLocation: sourceLocation)
                return
            }
        }
    }
}
