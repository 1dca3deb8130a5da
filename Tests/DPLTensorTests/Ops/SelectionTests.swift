import Testing
import DPLTestSupport
@testable import DPLTensor

@Suite("selection")
struct SelectionTests {
    @Test func clampWithFloatBounds() throws {
        let x = try Tensor(shape: [4], scalars: [-2, 0.5, 1, 3])
        #expect(try x.clamped(min: 0, max: 1).scalars == [0, 0.5, 1, 1])
        let leaf = x.requiringGrad()
        let g = try gradients(of: try leaf.clamped(min: 0, max: 1), wrt: [leaf])[0]
        #expect(g.scalars == [0, 1, 0, 0])   // only strictly inside
        #expect(throws: TensorError.self) { try x.clamped(min: 1, max: 0) }
        var random = TestRandom(seed: 60)
        try checkGradients([random.tensor([3, 4], -2, 2)]) { v in try v[0].clamped(min: -1, max: 1) }
    }

    @Test func clampWithTensorBoundsProjectsOntoEpsBall() throws {
        var random = TestRandom(seed: 61)
        let clean = random.tensor([2, 6], 0, 1)
        var x = random.tensor([2, 6], -0.5, 1.5)
        let eps: Float = 0.1
        let lower = try Tensor.maximum(clean - eps, Tensor(0)), upper = try Tensor.minimum(clean + eps, Tensor(1))
        // Keep x more than a finite-difference step away from both bounds (away from the kinks).
        for i in 0..<x.count {
            while Swift.abs(x.scalars[i] - lower.scalars[i]) < 0.03 || Swift.abs(x.scalars[i] - upper.scalars[i]) < 0.03 {
                x.scalars[i] += 0.07
            }
        }
        let projected = try x.clamped(lower: lower, upper: upper)
        for i in 0..<x.count {
            #expect(projected.scalars[i] >= lower.scalars[i] && projected.scalars[i] <= upper.scalars[i])
            #expect(Swift.abs(projected.scalars[i] - clean.scalars[i]) <= eps + 1e-6)
        }
        // Gradients reach x inside the bounds and each bound where it binds; bounds broadcast.
        try checkGradients([x, lower, upper]) { v in try v[0].clamped(lower: v[1], upper: v[2]) }
        try checkGradients([random.tensor([2, 3], -2, 2), random.tensor([3], -1.5, -0.5), random.tensor([1], 0.5, 1.5)]) {
            v in try v[0].clamped(lower: v[1], upper: v[2])
        }
        let error = #expect(throws: TensorError.self) { try x.clamped(lower: .zeros([3]), upper: .ones([2, 6])) }
        #expect(error?.description.contains("[2, 6]") == true && error?.description.contains("[3]") == true)
    }

    @Test func signAndAbs() throws {
        let x = try Tensor(shape: [3], scalars: [-2, 0, 3])
        #expect(x.sign().scalars == [-1, 0, 1])
        #expect(!x.requiringGrad().sign().requiresGrad)
        #expect(abs(x).scalars == [2, 0, 3])
        var random = TestRandom(seed: 62)
        try checkGradients([random.tensor([4, 3])]) { v in abs(v[0]) }
    }

    @Test func whereSelectsAndRoutesGradients() throws {
        let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = Tensor(-1)
        #expect(try Tensor.where([true, false, false, true], a, b).scalars == [1, -1, -1, 4])
        let mask = try Tensor(shape: [2, 1], scalars: [0, 1])
        #expect(try Tensor.where(mask, a, b).scalars == [-1, -1, 3, 4])
        #expect(throws: TensorError.self) { try Tensor.where([true], a, b) }
        var random = TestRandom(seed: 63)
        let x = random.tensor([2, 3]), y = random.tensor([3])
        try checkGradients([x, y]) { v in try Tensor.where([true, false, true, false, false, true], v[0], v[1]) }
    }
}
