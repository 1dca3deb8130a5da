import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// `save` of results: what it prints, the CSV pair it writes, and what `dpl check` refuses.
@Suite("save stage", .serialized)
struct SaveStageTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture.withClassifier() }

    @Test func savingResultsPrintsOneLineNotTheTableAgain() throws {
        let result = fixture.run("""
        load images path="$DIR/images" n=4 | classify model="$DIR/cnn.safetensors" | report as "clean"
        results | save "$DIR/r.csv"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        let lines = result.output.split(separator: "\n")
        #expect(lines.filter { $0 == "clean" }.count == 1, "the report prints the row once: \(result.output)")
        #expect(lines.last == "saved \(fixture.folder)/r.csv and \(fixture.folder)/r.summary.csv")
        let perSample = try String(contentsOfFile: fixture.folder + "/r.csv", encoding: .utf8)
        #expect(ResultCSVTests.table(perSample).count == 5, "a header and one line per clean prediction: \(perSample)")
        let summary = try String(contentsOfFile: fixture.folder + "/r.summary.csv", encoding: .utf8)
        #expect(summary.contains("# provenance: files"))
        #expect(ResultCSVTests.table(summary).count == 2)
    }

    @Test func aPipelineEndingElsewherePrintsItsValue() {
        let result = fixture.run("""
        load images path="$DIR/images" n=4 | classify model="$DIR/cnn.safetensors" | save "$DIR/r.json" | report as "after save"
        """)
        #expect(result.error == nil, "\(result.error ?? "")")
        #expect(result.output.contains("after save"), "\(result.output)")
    }

    /// What is piped in must fit the file's extension, known before the lines above it run: a
    /// bare `save "r.json"` reads the default source, a dataset, which failed only at run time.
    @Test func theExtensionMustHoldWhatIsPipedInBeforeRunning() throws {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        func check(_ source: String) -> String { session.check(SourceFile(name: "s.dpl", text: source + "\n")).errorText ?? "" }
        let bare = check("load fashion-mnist n=4 | classify | report\nsave \"r.json\"")
        #expect(bare.contains("s.dpl:2:6: error: `save \"r.json\"` gets a dataset, which a .json file cannot hold"), "\(bare)")
        #expect(bare.contains("`results | save \"r.json\"`"), "\(bare)")
        #expect(check("results | save \"t.png\"").contains("gets a table, which a .png file cannot hold; save results as `t.json` or `t.csv`"))
        #expect(check("load fashion-mnist n=4 | purify t=2 | save \"p.csv\"").contains("gets a batch, which a .csv file cannot hold"))
        for fine in ["results | save \"r.csv\"", "load fashion-mnist n=4 | classify | save \"r.json\"",
                     "load fashion-mnist n=4 | attack pgd | classify | save \"g.png\"", "load fashion-mnist n=4 | save \"d.npz\"",
                     "let m = load model \"cnn.safetensors\"\nm | save \"m.safetensors\""] {
            #expect(!check(fine).contains("cannot hold"), "\(fine): \(check(fine))")
        }
    }
}
