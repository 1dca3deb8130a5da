import Foundation
import Testing
import DPLData
import DPLLang
@testable import DPLRuntime

/// What `plot` names is checked before anything runs: its file's extension and every `x=`/`y=`
/// name, against the names a result row can have (`ResultRow.numberVocabulary`).
@Suite("plot names checked before running", .serialized)
struct PlotNameCheckTests {
    func checkError(_ source: String) throws -> String {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        return session.check(SourceFile(name: "p.dpl", text: source + "\n")).errorText ?? ""
    }

    @Test func aMisspeltNameIsACheckErrorWithTheClosestName() throws {
        let text = try checkError("load fashion-mnist n=4 | attack pgd | classify | report x=1\nplot \"p.svg\" y=robust_acuracy")
        #expect(text.contains("p.dpl:2:16: error: parameter `y` of `plot` names `robust_acuracy`, which is not a field or measurement of a result row; did you mean `robust_accuracy`?"), "\(text)")
        #expect(try checkError("plot \"p.svg\" y=[clean_accuracy, l2_clean_purifed_mean]").contains("did you mean `l2_clean_purified_mean`?"))
        #expect(try checkError("plot \"p.svg\" y=n x=compresion_adversarial_mean").contains("parameter `x` of `plot`"))
        #expect(try checkError("plot \"p.svg\" y=loss").contains("the names are listed in docs/analyses.md"))
    }

    @Test func everyFamilyOfMeasurementNamesPasses() throws {
        for name in ["robust_accuracy", "targeted_success", "n", "linf_clean_adversarial_max", "l2_current_purified_median",
                     "pixel_std_mean", "agreement_max", "entropy_median", "compression_random_mean", "compression_skipped",
                     "mcnemar_p", "difference_high"] {
            #expect(try checkError("plot \"p.svg\" y=\(name)").isEmpty, "\(name)")
        }
        #expect(try checkError("for y in [\"n\", \"robust_accuracy\"] { plot \"p{y}.svg\" y=y }").isEmpty, "a loop variable is known only when running")
    }

    @Test func plotWritesSVGOrPNG() throws {
        #expect(try checkError("plot \"figure.png\" y=clean_accuracy").isEmpty)
        #expect(try checkError("plot \"figure.SVG\" y=clean_accuracy").isEmpty)
        #expect(try checkError("plot \"figure.pdf\" y=clean_accuracy").contains("must name a file ending in .svg or .png, but `figure.pdf` ends in .pdf"))
    }

    /// Every name the stages give a row is declared: run every analysis and `compare`, and
    /// look at the rows they made. A stage that writes a new name fails here until the
    /// vocabulary lists it.
    @Test func theVocabularyHoldsEveryNameTheStagesWrite() throws {
        let fixture = try ScriptFixture.trained()
        let result = fixture.run("""
        set classifier = "$DIR/cnn.safetensors"
        set diffusion = "$DIR/unet.safetensors"
        let data = load images path="$DIR/images" n=4
        data | attack fgsm eps=0.2 | classify | report as "fgsm a" x=1
        data | attack pgd eps=0.2 steps=2 target=random | classify | report as "pgd b" x=2
        compare "fgsm a" "pgd b"
        data | attack fgsm eps=0.1 | purify t=5 seed=fixed | classify | measure distance from=clean to=[current, adversarial, purified] p=inf x=1
        data | purify t=5 | measure distance from=current to=clean x=1
        data | purify t=5 seed=random | measure spread draws=2 x=1
        data | attack fgsm eps=0.1 | purify t=5 seed=fixed | classify | measure compression radius=0.1 pairs=1 x=1
        results | save "$DIR/all.json"
        plot "$DIR/robust.png" y=robust_accuracy
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let rows = try ResultReader.rows(ofFile: fixture.folder + "/all.json")
        #expect(rows.count == 7)
        let names = Set(rows.flatMap(\.numberNames))
        #expect(names.contains("targeted_success") && names.contains("mcnemar_p") && names.contains("entropy_mean")
                && names.contains("linf_clean_purified_max") && names.contains("compression_random_mean"), "\(names.sorted())")
        for name in names.sorted() {
            #expect(ResultRow.numberVocabulary.contains(name), "`\(name)` is written by a stage but not declared in ResultRowNames.swift")
        }

        // The PNG the same run drew: DPL's decoder reads it, and it names how it was made.
        let bytes = try readFileBytes(fixture.folder + "/robust.png")
        let image = try PNGDecoder.decode(bytes, path: "robust.png")
        #expect(image.width == 1440 && image.height == 880)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("tEXtdpl:provenance") && text.contains("tEXtdpl:run"))
    }

    @Test func aDeclaredNameNoRowHasIsStillARuntimeError() throws {
        let fixture = try ScriptFixture.withClassifier()
        let result = fixture.run("""
        load images path="$DIR/images" n=4 | classify model="$DIR/cnn.safetensors" | measure distance from=clean to=current x=1
        plot "$DIR/p.svg" y=robust_accuracy
        """)
        let error = result.error ?? ""
        #expect(error.contains("`plot` found no row with both `x` and `robust_accuracy`; the rows have n, x, clean_accuracy, l2_clean_current_mean"), "\(error)")
    }
}
