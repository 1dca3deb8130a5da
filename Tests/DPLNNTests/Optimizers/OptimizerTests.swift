import Foundation
import Testing
import DPLTensor
@testable import DPLNN

/// Steps of f(p) = ½·a·p² (gradient a·p) and of linear losses, checked against values worked
/// out by hand from the PyTorch formulas in each optimizer's documentation.
@Suite("optimizers")
struct OptimizerTests {
    /// Runs `steps` steps on a one-element parameter starting at `start` with gradient `gradient(p)`.
    static func trajectory(_ optimizer: Optimizer, start: Float, steps: Int, gradient: (Float) -> Float) throws -> [Float] {
        let p = Parameter(Tensor(start))
        var values: [Float] = []
        for _ in 0..<steps {
            try optimizer.step([p], gradients: [Tensor(gradient(p.value.scalars[0]))])
            values.append(p.value.scalars[0])
        }
        return values
    }

    static func close(_ a: [Float], _ b: [Double], tolerance: Double = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= tolerance * max(1, abs($1)) }
    }

    // MARK: - SGD

    @Test func plainSGDOnAQuadraticIsGeometric() throws {
        // p_t = (1 − lr·a)^t · p₀ with a = 2, lr = 0.1.
        let values = try OptimizerTests.trajectory(try SGD(learningRate: 0.1), start: 1, steps: 3) { 2 * $0 }
        #expect(OptimizerTests.close(values, [0.8, 0.64, 0.512]))
    }

    @Test func sgdMomentumByHand() throws {
        // g₁ = 2, b₁ = 2, p₁ = 0.8; g₂ = 1.6, b₂ = 0.9·2 + 1.6 = 3.4, p₂ = 0.46;
        // g₃ = 0.92, b₃ = 0.9·3.4 + 0.92 = 3.98, p₃ = 0.062.
        let values = try OptimizerTests.trajectory(try SGD(learningRate: 0.1, momentum: 0.9), start: 1, steps: 3) { 2 * $0 }
        #expect(OptimizerTests.close(values, [0.8, 0.46, 0.062]))
    }

    @Test func sgdNesterovByHand() throws {
        // g₁ = 2, b₁ = 2, d₁ = 2 + 0.9·2 = 3.8, p₁ = 0.62;
        // g₂ = 1.24, b₂ = 1.8 + 1.24 = 3.04, d₂ = 1.24 + 2.736 = 3.976, p₂ = 0.2224.
        let sgd = try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)
        let values = try OptimizerTests.trajectory(sgd, start: 1, steps: 2) { 2 * $0 }
        #expect(OptimizerTests.close(values, [0.62, 0.2224]))
    }

    @Test func sgdDampeningAndWeightDecayByHand() throws {
        // Zero loss gradient, λ = 0.1: g = 0.1·p. Dampening 0.5, μ = 0.5, lr = 1:
        // g₁ = 0.1, b₁ = 0.1 (first step ignores dampening), p₁ = 0.9;
        // g₂ = 0.09, b₂ = 0.5·0.1 + 0.5·0.09 = 0.095, p₂ = 0.805.
        let sgd = try SGD(learningRate: 1, momentum: 0.5, dampening: 0.5, weightDecay: 0.1)
        let values = try OptimizerTests.trajectory(sgd, start: 1, steps: 2) { _ in 0 }
        #expect(OptimizerTests.close(values, [0.9, 0.805]))
    }

    // MARK: - Adam and AdamW

    @Test func adamOnAQuadraticByHand() throws {
        // lr 0.1, β = (0.9, 0.999), ε = 1e-8, gradient 2p from p₀ = 1.
        // Step 1: g = 2, m = 0.2, v = 0.004, m̂ = 2, v̂ = 4, p₁ = 1 − 0.1·2/(2 + ε) = 0.9.
        // Step 2: g = 1.8, m = 0.36, v = 0.003996 + 0.001·3.24 = 0.007236,
        //         p₂ = 0.9 − (0.1/0.19) · 0.36 / (√0.007236/√0.001999 + ε).
        let p2 = 0.9 - (0.1 / 0.19) * 0.36 / ((0.007236).squareRoot() / (0.001999).squareRoot() + 1e-8)
        let values = try OptimizerTests.trajectory(try Adam(learningRate: 0.1), start: 1, steps: 2) { 2 * $0 }
        #expect(OptimizerTests.close(values, [0.9, p2]))
    }

    @Test func adamWithAConstantGradientMovesLrPerStep() throws {
        // m_t = (1 − β₁ᵗ)·g and v_t = (1 − β₂ᵗ)·g², so every step is lr·g/(|g| + ε) exactly.
        let g: Float = -0.3
        let values = try OptimizerTests.trajectory(try Adam(learningRate: 0.01), start: 2, steps: 4) { _ in g }
        let move = 0.01 * 0.3 / (0.3 + 1e-8)
        #expect(OptimizerTests.close(values, (1...4).map { 2 + Double($0) * move }, tolerance: 1e-5))
    }

    @Test func adamL2DecayEntersTheGradient() throws {
        // Zero loss gradient, λ = 0.5: g = 0.5·p = 1 at p = 2, first step moves by lr.
        let values = try OptimizerTests.trajectory(try Adam(learningRate: 0.1, weightDecay: 0.5), start: 2, steps: 1) { _ in 0 }
        #expect(OptimizerTests.close(values, [1.9]))
    }

    @Test func adamWDecayIsDecoupled() throws {
        // Zero gradient keeps m = v = 0, so only the shrink acts: p_t = p₀·(1 − lr·λ)^t.
        let values = try OptimizerTests.trajectory(try AdamW(learningRate: 0.1, weightDecay: 0.5), start: 2, steps: 3) { _ in 0 }
        #expect(OptimizerTests.close(values, [1.9, 1.805, 1.71475]))
        // With a gradient, the shrink comes first and the Adam step is undecayed:
        // p₁ = 2·0.95 − 0.1·1/(1 + ε).
        let moved = try OptimizerTests.trajectory(try AdamW(learningRate: 0.1, weightDecay: 0.5), start: 2, steps: 1) { _ in 1 }
        #expect(OptimizerTests.close(moved, [1.8]))
    }

    /// Adam's update runs sixteen lanes at a time with a scalar tail: every element of a
    /// 37-element parameter must get the bits it gets alone (through the scalar loop), under
    /// each setting that changes the update (L2 decay, decoupled decay, a large β₁).
    @Test(arguments: ["adam", "adam-l2", "adamw", "adam-beta1"])
    func adamsVectorLanesMatchTheScalarLoopBitForBit(kind: String) throws {
        func optimizer() throws -> Optimizer {
            switch kind {
            case "adam": return try Adam(learningRate: 0.01)
            case "adam-l2": return try Adam(learningRate: 0.01, weightDecay: 0.3)
            case "adamw": return try AdamW(learningRate: 0.01, weightDecay: 0.3)
            default: return try Adam(learningRate: 0.01, betas: (0.3, 0.99))
            }
        }
        let n = 37
        let start = (0..<n).map { Float(sin(Double($0) * 1.7)) * 3 }
        let together = Parameter(try Tensor(shape: [n], scalars: start))
        let alone = start.map { Parameter(Tensor($0)) }
        let (wide, single) = (try optimizer(), try optimizer())
        for step in 0..<5 {
            let gradients = (0..<n).map { Float(cos(Double($0 * 3 + step))) * (1 + Float($0 % 5)) }
            try wide.step(gradients: [together: try Tensor(shape: [n], scalars: gradients)])
            try single.step(gradients: Dictionary(uniqueKeysWithValues: zip(alone, gradients.map { Tensor($0) })))
        }
        #expect(together.value.scalars.map(\.bitPattern) == alone.map { $0.value.scalars[0].bitPattern })
    }

    // MARK: - Convergence on a convex quadratic

    @Test(arguments: ["sgd", "nesterov", "adam", "adamw"])
    func minimizesAConvexQuadratic(kind: String) throws {
        // f(x) = ½ Σ aᵢ (xᵢ − cᵢ)², aᵢ in [0.5, 2]: minimum at c.
        let n = 16
        let a = (0..<n).map { 0.5 + 1.5 * Float($0) / Float(n - 1) }
        let c = (0..<n).map { sin(Float($0)) }
        let x = Parameter(.zeros([n]))
        let optimizer: Optimizer
        switch kind {
        case "sgd": optimizer = try SGD(learningRate: 0.3, momentum: 0.5)
        case "nesterov": optimizer = try SGD(learningRate: 0.3, momentum: 0.5, nesterov: true)
        case "adam": optimizer = try Adam(learningRate: 0.05)
        default: optimizer = try AdamW(learningRate: 0.05, weightDecay: 0)
        }
        for _ in 0..<600 {
            let gradient = try Tensor(shape: [n], scalars: (0..<n).map { a[$0] * (x.value.scalars[$0] - c[$0]) })
            try optimizer.step(gradients: [x: gradient])
        }
        let worst = zip(x.value.scalars, c).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-3, "\(kind) ended \(worst) from the minimum")
    }

    @Test func stepMinimizingDifferentiatesThroughTheParameterLeaf() throws {
        // loss = Σ x² (as x·xᵀ), gradient 2x, so SGD with lr 0.1 scales x by 0.8, twice.
        let x = Parameter(try Tensor(shape: [1, 3], scalars: [1, -2, 3]))
        let sgd = try SGD(learningRate: 0.1)
        for _ in 0..<2 {
            let loss = try withGradients { try Tensor.matmul(x.value, x.value, transposeA: false, transposeB: true).sum() }
            try sgd.step(minimizing: loss, parameters: [x])
        }
        #expect(OptimizerTests.close(x.value.scalars, [0.64, -1.28, 1.92]))
    }

    // MARK: - Errors and state

    @Test func rejectsBadGradientsAndHyperparameters() throws {
        let p = Parameter(.zeros([2, 3]))
        let sgd = try SGD(learningRate: 0.1)
        let error = #expect(throws: OptimizerError.self) { try sgd.step([p], gradients: [.zeros([3, 2])]) }
        #expect(error?.description.contains("[3, 2]") == true && error?.description.contains("[2, 3]") == true)
        #expect(throws: OptimizerError.self) { try sgd.step([p], gradients: []) }
        #expect(throws: OptimizerError.self) { try SGD(learningRate: 0.1, nesterov: true) }
        #expect(throws: OptimizerError.self) { try Adam(betas: (0.9, 1.0)) }
        #expect(throws: OptimizerError.self) { try AdamW(learningRate: -1) }
    }

    @Test func adamStateExportsAndResumesExactly() throws {
        let names = ["w", "b"]
        func makeParameters() -> [Parameter] { [Parameter(try! Tensor(shape: [2, 2], scalars: [1, -2, 3, 0.5])), Parameter(Tensor(0.25))] }
        func gradient(_ p: Parameter, _ t: Int) -> Tensor {
            try! Tensor(shape: p.shape, scalars: p.value.scalars.map { 2 * $0 + Float(t) * 0.1 })
        }
        let original = makeParameters(), resumed = makeParameters()
        let first = try Adam(learningRate: 0.05, weightDecay: 0.01)
        for t in 0..<3 { try first.step(original, gradients: original.map { gradient($0, t) }) }
        let state = first.stateTensors(names: Array(zip(names, original)))
        #expect(state.map(\.name) == ["w.exp_avg", "w.exp_avg_sq", "w.step", "b.exp_avg", "b.exp_avg_sq", "b.step"])
        #expect(state[2].tensor.scalars == [3])

        for (p, q) in zip(resumed, original) { try p.assign(q.value) }
        let second = try Adam(learningRate: 0.05, weightDecay: 0.01)
        try second.loadStateTensors(state, names: Array(zip(names, resumed)))
        try first.step(original, gradients: original.map { gradient($0, 3) })
        try second.step(resumed, gradients: resumed.map { gradient($0, 3) })
        #expect(zip(original, resumed).allSatisfy { $0.value.scalars == $1.value.scalars })
    }

    @Test func sgdMomentumStateRoundTrips() throws {
        let p = Parameter(try Tensor(shape: [3], scalars: [1, 2, 3]))
        let sgd = try SGD(learningRate: 0.1, momentum: 0.9)
        try sgd.step([p], gradients: [p.value.detached()])
        let state = sgd.stateTensors(names: [("p", p)])
        #expect(state.map(\.name) == ["p.momentum_buffer"])
        #expect(state[0].tensor.scalars == [1, 2, 3])
        let fresh = try SGD(learningRate: 0.1, momentum: 0.9)
        try fresh.loadStateTensors(state, names: [("p", p)])
        #expect(fresh.stateTensors(names: [("p", p)])[0].tensor.scalars == [1, 2, 3])
    }

    @Test func stateImportRejectsWrongShapesIncompleteAndUnknownTensors() throws {
        let p = Parameter(.zeros([2]))
        let adam = try Adam()
        let wrongShape = #expect(throws: OptimizerError.self) {
            try adam.loadStateTensors([("p.exp_avg", .zeros([3])), ("p.exp_avg_sq", .zeros([2])), ("p.step", Tensor(1))], names: [("p", p)])
        }
        #expect(wrongShape?.description.contains("p.exp_avg") == true)
        let incomplete = #expect(throws: OptimizerError.self) {
            try adam.loadStateTensors([("p.exp_avg", .zeros([2]))], names: [("p", p)])
        }
        #expect(incomplete?.description.contains("p.exp_avg_sq") == true)
        let unknown = #expect(throws: OptimizerError.self) {
            try adam.loadStateTensors([("q.exp_avg", .zeros([2]))], names: [("p", p)])
        }
        #expect(unknown?.description.contains("q.exp_avg") == true)
        let fractionalStep = #expect(throws: OptimizerError.self) {
            try adam.loadStateTensors([("p.exp_avg", .zeros([2])), ("p.exp_avg_sq", .zeros([2])), ("p.step", Tensor(0.5))], names: [("p", p)])
        }
        #expect(fractionalStep?.description.contains("p.step") == true)
    }
}
