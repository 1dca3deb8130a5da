import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// Smoke mode (Support/SmokeMode.swift): every stage runs, on shrunken sizes, and files go
/// under <out>/smoke/.
@Suite("smoke mode", .serialized)
struct SmokeModeTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture.trained() }

    @Test func announcesItselfOnceBeforeTheFirstStage() {
        let result = fixture.run("""
        set smoke = true
        load images path="$DIR/images" | classify model="$DIR/cnn.safetensors" | report as "first"
        load images path="$DIR/images" | classify model="$DIR/cnn.safetensors" | report as "second"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let lines = result.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("smoke run: sizes reduced (n ≤ 4") == true, "\(result.output)")
        #expect(lines.first?.hasSuffix("numbers are not results") == true)
        #expect(lines.filter { $0.hasPrefix("smoke run:") }.count == 1)
    }

    @Test func offByDefaultAndSaysNothing() {
        let result = fixture.run("""
        load images path="$DIR/images" | classify model="$DIR/cnn.safetensors" | report as "normal"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        #expect(!result.output.contains("smoke run"))
        #expect(result.output.contains("(16/16)") || result.output.contains("/16)"), "\(result.output)")
    }

    @Test func shrinksLoadAttackPurifyAndTheEvaluationRule() {
        let result = fixture.run("""
        set smoke = true
        set classifier = "$DIR/cnn.safetensors"
        set diffusion = "$DIR/unet.safetensors"
        load images path="$DIR/images" | attack apgd eps=0.2 restarts=3 eot=5 | purify t=40 seed=random | classify eval="worst:7" | report as "ddpm"
        load images path="$DIR/images" | attack pgd eps=0.2 steps=9 | purify t=40 sampler=sde seed=fixed | classify | report as "sde"
        load images path="$DIR/images" | attack square eps=0.2 queries=500 | purify t=40 sampler=ddim steps=8 seed=fixed grad=none | classify | report as "ddim"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let out = result.output
        #expect(out.contains("n                4"), "\(out)")
        #expect(out.contains("apgd norm=linf eps=0.2 steps=2 restarts=1"), "\(out)")
        #expect(out.contains("eot=2"))
        #expect(out.contains("purify t=10 sampler=ddpm"))
        #expect(out.contains("worst:2"))
        #expect(out.contains("pgd norm=linf eps=0.2 steps=2"))
        #expect(out.contains("purify t=40 sampler=sde(dt=0.01)"), "\(out)")
        #expect(out.contains("queries=10"), "\(out)")
        #expect(out.contains("purify t=40 sampler=ddim(steps=2"), "\(out)")
    }

    @Test func measureShrinksOnlyItsOwnAnalysisParameter() {
        let result = fixture.run("""
        set smoke = true
        set diffusion = "$DIR/unet.safetensors"
        load images path="$DIR/images" | purify t=4 seed=random | measure spread draws=16 model="$DIR/cnn.safetensors"
        load images path="$DIR/images" | purify t=4 seed=fixed | measure compression
        load images path="$DIR/images" | purify t=4 seed=fixed | measure distance
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        #expect(result.output.contains("draws=2"), "\(result.output)")
        #expect(result.output.contains("pairs=2"), "\(result.output)")
    }

    /// Limits are declared on parameters: a stage SmokeMode has never heard of is shrunk by its
    /// own declarations, conditions included.
    @Test func aStagesDeclaredLimitsApplyWithoutSmokeModeKnowingIt() throws {
        var registry = StageRegistry()
        try registry.register(StageSignature(
            name: "count", doc: "A test stage.", input: .nothing, output: .none,
            parameters: [
                Parameter("n", .integer, doc: "n", smoke: .atMost(3, whenAbsent: true)),
                Parameter("mode", .choice(["a", "b"]), default: .name("a"), doc: "mode"),
                Parameter("k", .integer, default: .number(9), doc: "k", smoke: .atMost(1, when: ParameterCondition("mode", in: ["b"]))),
                Parameter("dt", .number, default: .number(0.001), doc: "dt", smoke: .atLeast("k", dividedBy: 4)),
                Parameter("fresh", .bool, default: .bool(true), doc: "fresh", smoke: .always(.bool(false))),
            ])) { _, arguments, _, context in
            let text = ["n", "k", "dt", "fresh"].map { "\($0)=\(arguments[$0]?.literal ?? "absent")" }.joined(separator: " ")
            context.print(text)
            return .none
        }
        var lines: [String] = []
        let session = Session(registry: try SmokeMode.wrapping(registry, state: RuntimeState())) { lines.append($0) }
        let outcome = session.run(SourceFile(name: "t.dpl", text: """
        count
        set smoke = true
        count
        count n=10 mode=b
        count n=2
        """))
        #expect(outcome.errorText == nil, "\(outcome.errorText ?? "")")
        let printed = lines.filter { $0.hasPrefix("n=") }
        #expect(printed == ["n=absent k=9 dt=0.001 fresh=true", "n=3 k=9 dt=2.25 fresh=false",
                            "n=3 k=1 dt=2.25 fresh=false", "n=2 k=9 dt=2.25 fresh=false"], "\(lines)")
    }

    @Test func savesGoUnderOutSmokeAndAreFoundAgainUnderTheirOwnName() {
        let result = fixture.run("""
        set smoke = true
        load images path="$DIR/images" | train classifier epochs=30 | save "$DIR/models/mine.safetensors"
        load images path="$DIR/images" | classify model="$DIR/models/mine.safetensors" | report as "reloaded" x=1
        results | save "$DIR/results.json"
        plot "$DIR/chart.svg" y=clean_accuracy
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let fm = FileManager.default
        let smoke = fixture.folder + "/out/smoke/"
        #expect(!fm.fileExists(atPath: fixture.folder + "/models/mine.safetensors"))
        #expect(!fm.fileExists(atPath: fixture.folder + "/results.json"))
        #expect(!fm.fileExists(atPath: fixture.folder + "/chart.svg"))
        #expect(fm.fileExists(atPath: smoke + "mine.safetensors"))
        #expect(fm.fileExists(atPath: smoke + "results.json"))
        #expect(fm.fileExists(atPath: smoke + "chart.svg"))
        #expect(fm.fileExists(atPath: smoke + "train-cnn-small.checkpoint.safetensors"))
        #expect(result.output.contains("epoch 1: loss"), "\(result.output)")
        #expect(!result.output.contains("epoch 2"), "one epoch only: \(result.output)")
    }

    @Test func trainingStartsOverEvenWithAFinishedCheckpoint() {
        let script = """
        set smoke = true
        load images path="$DIR/images" | train diffusion steps=500 resume=true checkpoint="$DIR/u.ckpt.safetensors"
        """
        let first = fixture.run(script)
        #expect(first.error == nil, "\(first.error ?? "")")
        let second = fixture.run(script)
        #expect(second.error == nil, "\(second.error ?? "")")
        #expect(!second.output.contains("resuming"), "\(second.output)")
        #expect(FileManager.default.fileExists(atPath: fixture.folder + "/out/smoke/u.ckpt.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: fixture.folder + "/u.ckpt.safetensors"))
    }

    @Test func unknownValuesAreStillChecked() {
        let result = fixture.run("set smoke = 1")
        #expect(result.error?.contains("smoke") == true, "\(result.error ?? "no error")")
    }
}
