import DPLDiffusion
import DPLTensor
import Testing
@testable import DPLAttacks

@Suite struct DefenseTests {
    let model = LinearClassifier.binary(w: (0..<16).map { Float($0) / 16 - 0.5 }, b: 0)
    /// Purification that squares every pixel: its true Jacobian is diag(2x), BPDA's is I.
    func square(_ mode: GradientMode) -> DefenseTransform {
        DefenseTransform(description: "square", isRandomized: false, mode: mode) { x, _, _ in try x * x }
    }

    func inputGradient(_ defense: Defense, _ x: Tensor) throws -> [Float] {
        let leaf = x.requiringGrad()
        let logits = try withGradients { try defense.logits(leaf, sampleIDs: [0], call: 0) }
        return try gradients(of: logits, wrt: [leaf], seed: Tensor(shape: [1, 2], scalars: [0, 1]))[0].scalars
    }

    @Test func exactAndBPDAGradientsThroughPurification() throws {
        let x = makeBatch(n: 1, low: 0.2, high: 0.8).images
        let w = (0..<16).map { Float($0) / 16 - 0.5 }
        let exact = Defense.composed([square(.full)], classifier: model, description: "square | linear")
        let bpda = Defense.composed([square(.bpda)], classifier: model, description: "square | linear")
        #expect(exact.gradient == .exact && bpda.gradient == .bpda)
        let (ge, gb) = (try inputGradient(exact, x), try inputGradient(bpda, x))
        for j in 0..<16 {
            #expect(abs(ge[j] - w[j] / 2 * 2 * x.scalars[j]) < 1e-5)
            #expect(abs(gb[j] - w[j] / 2) < 1e-5)
        }
        // Both forward passes are the true defense.
        #expect(try exact.logits(x, sampleIDs: [0], call: 0).scalars == bpda.logits(x, sampleIDs: [0], call: 0).scalars)
        // A blocked transform computes the same forward value and refuses the backward pass.
        let blocked = Defense.composed([square(.none)], classifier: model, description: "square | linear")
        #expect(blocked.gradient == .unavailable)
        #expect(try blocked.logits(x, sampleIDs: [0], call: 0).scalars == exact.logits(x, sampleIDs: [0], call: 0).scalars)
        #expect(throws: AttackError.self) { try inputGradient(blocked, x) }
    }

    @Test func callIndicesSeparatePhases() {
        let attack = DefenseCallIndex.make(.attack, restart: 1, iteration: 2, draw: 3)
        #expect(attack == (1 << 40) | (2 << 16) | 3)
        #expect(DefenseCallIndex.make(.cleanEvaluation) != DefenseCallIndex.make(.adversarialEvaluation))
        #expect(DefenseCallIndex.make(.adversarialEvaluation, draw: 5) >> 62 == 2)
    }

    @Test func wrongLogitShapesAreReported() {
        let bad = Defense(description: "bad", isRandomized: false, gradient: .exact) { x, _, _ in x }
        #expect(throws: AttackError.self) { try bad.logits(Tensor.zeros([1, 1, 2, 2]), sampleIDs: [0], call: 0) }
    }
}
