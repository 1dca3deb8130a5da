import Foundation
import Testing
@testable import DPLRuntime

/// `save` of results: what it prints, and the CSV pair it writes.
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
}
