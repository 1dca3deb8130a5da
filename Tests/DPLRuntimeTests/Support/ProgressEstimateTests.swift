import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// The progress bar's ETA before the first measured step: `dpl estimate`'s prediction, labelled
/// as estimated, replaced by the measured rate as soon as anything progressed.
@Suite("progress ETA before the first step", .serialized)
struct ProgressEstimateTests {
    @Test func theEstimateIsShownUntilAMeasuredRateReplacesIt() {
        #expect(ProgressReporter.timeText(complete: false, elapsed: 5, rate: 0, left: 8, predicted: nil) == "ETA –")
        #expect(ProgressReporter.timeText(complete: false, elapsed: 5, rate: 0, left: 8, predicted: 65) == "ETA ~1:00 (estimated)")
        #expect(ProgressReporter.timeText(complete: false, elapsed: 90, rate: 0, left: 8, predicted: 65) == "ETA ~0:00 (estimated)",
                "an estimate that ran out says so rather than going negative")
        #expect(ProgressReporter.timeText(complete: false, elapsed: 10, rate: 0.5, left: 8, predicted: 65) == "ETA 0:16")
        #expect(ProgressReporter.timeText(complete: true, elapsed: 62, rate: 0.5, left: 0, predicted: 65) == "in 1:02")
    }

    /// The attack stage computes the prediction only on a terminal; here its body is swapped
    /// for one that asks for the prediction the real one would show, with the real downstream.
    @Test func anAttackAboutToRunIsPredictedFromItsCounts() throws {
        let fixture = try ScriptFixture.withClassifier()
        let builtins = try BuiltinStages.makeRegistry()
        var registry = StageRegistry()
        final class Box: @unchecked Sendable { var predicted: [Double?] = [] }
        let box = Box()
        for name in builtins.stageNames {
            guard let entry = builtins.entry(named: name) else { continue }
            if name == "attack" {
                try registry.register(entry.signature) { input, arguments, downstream, context in
                    box.predicted.append(ScriptEstimator.predictAttackSeconds(input: try #require(input), arguments: arguments,
                                                                             downstream: downstream, context: context))
                    return try entry.body(input, arguments, downstream, context)
                }
            } else {
                try registry.register(entry.signature, body: entry.body)
            }
        }
        let session = Session(registry: registry) { _ in }
        let source = """
        load images path="\(fixture.folder)/images" n=8 | attack pgd steps=3 | classify model="\(fixture.folder)/cnn.safetensors"
        load images path="\(fixture.folder)/images" n=8 | attack fgsm | classify model="\(fixture.folder)/cnn.safetensors"
        """
        let outcome = session.run(SourceFile(name: fixture.folder + "/p.dpl", text: source))
        #expect(outcome.errorText == nil, "\(outcome.errorText ?? "")")
        let seconds = box.predicted.compactMap { $0 }
        try #require(seconds.count == 2, "\(box.predicted)")
        // The models are timed afresh for each prediction; on a tiny 8×8 model the timing noise
        // is larger than the difference the steps make, so only the presence of a finite,
        // positive prediction is compared here (EstimatePlanTests checks the counts behind it).
        #expect(seconds.allSatisfy { $0 > 0 && $0.isFinite }, "\(seconds)")
    }

    /// The announcement's speeds are kept for its own pipeline only, so the bar of that
    /// pipeline's attack predicts from the same timing, and the next run times again.
    @Test func announcedSpeedsServeOnlyTheirOwnPipeline() {
        final class Anchor {}
        let anchor = Anchor()
        let model = EstimatedModel(name: "m", flopsPerImage: 1e6, imageShape: [1, 2, 2], identity: ObjectIdentifier(anchor))
        let speed = ModelSpeed(batch: 64, forwardRate: 2e9, backwardRate: 1e9)
        var pipeline: StageContext? = StageContext(settings: [:], baseDirectory: "/tmp", cancellation: Cancellation()) { _ in }
        let other = StageContext(settings: [:], baseDirectory: "/tmp", cancellation: Cancellation()) { _ in }
        PipelineSpeeds.remember([model: speed], for: pipeline!)
        #expect(PipelineSpeeds.recalled(for: pipeline!)[model]?.forwardRate == 2e9)
        #expect(PipelineSpeeds.recalled(for: other).isEmpty)
        // The running stages' context is another object of the same run (the announcement's is silent).
        let running = StageContext(settings: [:], baseDirectory: "/tmp", cancellation: Cancellation(), run: pipeline!.run) { _ in }
        #expect(PipelineSpeeds.recalled(for: running)[model]?.forwardRate == 2e9)
        pipeline = nil
        #expect(PipelineSpeeds.recalled(for: other).isEmpty, "a finished pipeline's speeds are gone")
        #expect(PipelineSpeeds.recalled(for: running)[model] != nil, "while one of its contexts runs, the run is alive")
    }

    /// The announcement's planner and the attack's load the model file each for themselves, so
    /// the two `EstimatedModel`s are different objects' (the speed was never found, and the bar
    /// timed again on 4 images: 31 h announced, 49 h in the bar). A speed is matched by the work.
    @Test func aSecondLoadOfTheSameModelIsTheSameWork() {
        final class Anchor {}
        let (first, second) = (Anchor(), Anchor())
        let announced = EstimatedModel(name: "unet.safetensors", flopsPerImage: 2.6e8, imageShape: [1, 28, 28], identity: ObjectIdentifier(first))
        let reloaded = EstimatedModel(name: "unet.safetensors", flopsPerImage: 2.6e8, imageShape: [1, 28, 28], identity: ObjectIdentifier(second))
        #expect(announced != reloaded && announced.sameWork(as: reloaded))
        #expect(!announced.sameWork(as: EstimatedModel(name: "unet.safetensors", flopsPerImage: 2.6e8, imageShape: [3, 32, 32], identity: ObjectIdentifier(second))))
        #expect(!announced.sameWork(as: EstimatedModel(name: "cnn.safetensors", flopsPerImage: 1e6, imageShape: [1, 28, 28], identity: ObjectIdentifier(second))))
    }
}
