import Testing
import DPLLang
@testable import DPLRuntime

/// The model passes `dpl estimate` counts, against counts worked out by hand from the engine's
/// loops (PGD: per restart `steps` gradient calls and one last loss, each over EOT draws; the
/// evaluation: clean and adversarial verdicts, then the adversarial images purified once more).
/// The shipped Fashion-MNIST models and data; no timing.
@Suite("estimate: counted passes")
struct EstimatePlanTests {
    static let classifier = "fmnist-cnn-small.safetensors"
    static let denoiser = "fmnist-unet-tiny.safetensors"

    func plan(_ text: String) throws -> ScriptEstimate {
        switch ScriptEstimator.estimate(SourceFile(name: "<test>", text: text), calibrate: false) {
        case .success(let estimate): return estimate
        case .failure(let failure): throw failure
        }
    }

    /// PGD-10 with EOT 2 through 5 DDIM steps on 16 images, one batch. Per image: 20 gradient
    /// calls (10 steps × 2 draws) and 2 loss calls; each gradient call runs the 5 steps forward
    /// and backward (the 5 steps of 16 images fit in memory, so nothing is recomputed) and the
    /// classifier forward and backward; then clean and adversarial verdicts (1 draw each, the
    /// defense is deterministic) and one more purification of the adversarial images.
    @Test func pgdTenWithEOTTwoThroughAFiveStepPurifier() throws {
        let estimate = try plan("""
        set batch = 16
        load fashion-mnist split=test n=16 | attack pgd eps=8/255 steps=10 eot=2 | purify t=100 sampler=ddim steps=5 seed=fixed | classify
        """)
        try #require(estimate.stages.count == 1)
        let attack = estimate.stages[0]
        #expect(attack.images == 16)
        #expect(attack.batches == 1)
        // U-Net: (20 × 5 + 2 × 5 + 2 × 5 + 5) forward, 20 × 5 backward, per image.
        #expect(attack.passes(ofModelNamed: Self.denoiser) == ModelPasses(forward: 16 * 125, backward: 16 * 100))
        // Classifier: 20 + 2 + 2 forward, 20 backward, per image.
        #expect(attack.passes(ofModelNamed: Self.classifier) == ModelPasses(forward: 16 * 24, backward: 16 * 20))
        #expect(!attack.upperBound)
    }

    /// Fresh randomness makes the verdicts take every draw of `vote:3`; the batches split 40
    /// images into 16 + 16 + 8.
    @Test func randomPurificationVotesOverEveryDraw() throws {
        let estimate = try plan("""
        set batch = 16
        load fashion-mnist split=test n=40 | attack pgd eps=8/255 steps=5 eot=2 | purify t=100 sampler=ddim steps=5 eta=1 seed=random | classify eval="vote:3"
        """)
        let attack = try #require(estimate.stages.first)
        #expect(attack.batches == 3)
        // U-Net: 10 gradient calls × 5 + 2 loss calls × 5 + 2 × 3 verdicts × 5 + 5.
        #expect(attack.passes(ofModelNamed: Self.denoiser) == ModelPasses(forward: 40 * 95, backward: 40 * 50))
        #expect(attack.passes(ofModelNamed: Self.classifier) == ModelPasses(forward: 40 * 18, backward: 40 * 10))
    }

    /// `classify` purifies once per batch for the `purified` snapshot and reuses it for draw 0.
    @Test func classifyReusesTheFirstDraw() throws {
        let estimate = try plan("""
        load fashion-mnist split=test n=16 | purify t=100 sampler=ddim steps=5 eta=1 seed=random | classify eval="worst:3"
        """)
        let classify = try #require(estimate.stages.first)
        #expect(classify.passes(ofModelNamed: Self.denoiser) == ModelPasses(forward: 16 * 15, backward: 0))
        #expect(classify.passes(ofModelNamed: Self.classifier) == ModelPasses(forward: 16 * 3, backward: 0))
    }

    /// The interpreter runs: a `for` loop plans one attack per element, each with its own eps.
    @Test func aSweepPlansEveryIteration() throws {
        let estimate = try plan("""
        let data = load fashion-mnist split=test n=8
        for e in [1/255, 2/255, 4/255] {
            data | attack fgsm eps=e | classify
        }
        """)
        #expect(estimate.stages.count == 3)
        // FGSM: one gradient call, one loss call, then two verdicts.
        for stage in estimate.stages {
            #expect(stage.passes(ofModelNamed: Self.classifier) == ModelPasses(forward: 8 * 4, backward: 8 * 1))
        }
    }

    /// `square` stops querying a sample once it is broken, so its count is an upper bound.
    @Test func squareIsAnUpperBound() throws {
        let estimate = try plan("""
        load fashion-mnist split=test n=4 | attack square queries=50 restarts=2 | classify
        """)
        let attack = try #require(estimate.stages.first)
        #expect(attack.upperBound)
        // 2 restarts × 51 scores, then two verdicts.
        #expect(attack.passes(ofModelNamed: Self.classifier) == ModelPasses(forward: 4 * 104, backward: 0))
    }

    /// Smoke mode's caps apply, as in `dpl run --smoke`: 4 images, 2 PGD steps.
    @Test func smokeModeShrinksTheCounts() throws {
        let estimate = try plan("""
        set smoke = true
        load fashion-mnist split=test n=512 | attack pgd steps=10 | classify
        """)
        let attack = try #require(estimate.stages.first)
        #expect(attack.images == 4)
        #expect(attack.passes(ofModelNamed: Self.classifier) == ModelPasses(forward: 4 * 5, backward: 4 * 2))
    }

    /// A script with an error is reported as `dpl check` reports it, and nothing is counted.
    @Test func aBrokenScriptFailsWithItsDiagnostic() {
        let outcome = ScriptEstimator.estimate(SourceFile(name: "<test>", text: "load fashion-mnist | atack pgd | classify"), calibrate: false)
        guard case .failure(let failure) = outcome else {
            Issue.record("a misspelt stage was estimated")
            return
        }
        #expect(failure.description.contains("atack"))
    }

    /// GFLOP: every pass costs the model's forward FLOPs; training's backward twice.
    @Test func gigaflopsFollowThePasses() throws {
        let estimate = try plan("load fashion-mnist split=test n=10 | classify")
        let classify = try #require(estimate.stages.first)
        let model = try #require(classify.passes.first?.model)
        #expect(ScriptEstimate.gigaflops(of: classify) == 10 * model.flopsPerImage / 1e9)
        #expect(estimate.totalSeconds == nil)  // not calibrated
    }
}
