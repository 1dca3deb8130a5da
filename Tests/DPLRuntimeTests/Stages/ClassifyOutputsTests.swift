import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// `classify outputs=logits|probabilities`: the model's outputs in a clean evaluation's rows,
/// in JSON and in the per-sample CSV (one column per class), read back as written, and checked
/// before running. ShardMergeTests merges such rows from three shards bit for bit.
@Suite("classify outputs", .serialized)
struct ClassifyOutputsTests {
    let fixture: ScriptFixture

    init() throws { fixture = try ScriptFixture.withClassifier() }

    func predictions(_ file: String, result: Int) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/" + file))
        let document = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let results = try #require(document?["results"] as? [[String: Any]])
        return try #require(results[result]["predictions"] as? [[String: Any]])
    }

    @Test func rowsCarryLogitsOrProbabilitiesAgreeingWithThePrediction() throws {
        let result = fixture.run("""
        set classifier = "$DIR/cnn.safetensors"
        let data = load images path="$DIR/images"
        data | classify outputs=logits | report as "logits"
        data | classify outputs=probabilities | report as "probabilities"
        data | classify | report as "plain"
        results | save "$DIR/o.json"
        results | save "$DIR/o.csv"
        """)
        try #require(result.error == nil, "\(result.error ?? "")")
        for (index, key) in [(0, "logits"), (1, "probabilities")] {
            let rows = try predictions("o.json", result: index)
            #expect(rows.count == 16)
            for row in rows {
                let values = try #require(row[key] as? [Double], "\(row)")
                #expect(values.count == 10, "one value per class of the classifier")
                #expect(values.firstIndex(of: values.max() ?? 0) == row["prediction"] as? Int)
                #expect(row[key == "logits" ? "probabilities" : "logits"] == nil)
                if key == "probabilities" { #expect(abs(values.reduce(0, +) - 1) < 1e-6) }
            }
        }
        #expect(try predictions("o.json", result: 2).allSatisfy { $0["logits"] == nil && $0["probabilities"] == nil },
                "without outputs= the rows are as before")

        let table = ResultCSVTests.table(try String(contentsOfFile: fixture.folder + "/o.csv", encoding: .utf8))
        #expect(Array(table[0][9...]) == (0..<10).map { "logit_\($0)" } + (0..<10).map { "probability_\($0)" })
        let logitsRow = try #require(table.first { $0[0] == "logits" }), probabilityRow = try #require(table.first { $0[0] == "probabilities" })
        let plainRow = try #require(table.first { $0[0] == "plain" })
        #expect(logitsRow.count == 29 && logitsRow[9..<19].allSatisfy { Double($0) != nil } && logitsRow[19...].allSatisfy { $0.isEmpty })
        #expect(probabilityRow[9..<19].allSatisfy { $0.isEmpty } && probabilityRow[19...].allSatisfy { Double($0) != nil })
        #expect(plainRow[9...].allSatisfy { $0.isEmpty })
    }

    @Test func savedOutputsReadBackAsWritten() throws {
        let run = fixture.run("""
        load images path="$DIR/images" n=4 | classify model="$DIR/cnn.safetensors" eval="vote:3" outputs=logits | save "$DIR/a.json"
        """)
        try #require(run.error == nil, "\(run.error ?? "")")
        let rows = try ResultReader.rows(ofFile: fixture.folder + "/a.json")
        let outputs = try #require(rows.first?.predictions.first?.outputs)
        #expect(outputs.kind == .logits && outputs.values.count == 10)
        let rewritten = try ResultWriter.json(rows)
        #expect(rewritten.contains("\"logits\""))
    }

    @Test func outputsKnownOnlyWhenRunningAreRefusedAfterAnAttackToo() {
        let result = fixture.run("""
        for o in ["logits"] { load images path="$DIR/images" n=2 | attack pgd steps=1 | classify model="$DIR/cnn.safetensors" outputs=o | report }
        """)
        #expect(result.error?.contains("`classify outputs=logits` adds the model's outputs to a clean evaluation's rows") == true, "\(result.error ?? "")")
    }

    @Test func outputsAreCheckedBeforeRunning() throws {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        func check(_ source: String) -> String { session.check(SourceFile(name: "c.dpl", text: source + "\n")).errorText ?? "" }
        let afterAttack = check("load fashion-mnist n=2 | attack pgd | classify outputs=logits | report")
        #expect(afterAttack.contains("c.dpl:1:56: error: `classify outputs=logits` adds the model's outputs to a clean evaluation's rows"), "\(afterAttack)")
        #expect(afterAttack.contains("`data | classify outputs=logits | report`"))
        #expect(check("load fashion-mnist n=2 | classify outputs=logit").contains("parameter `outputs` of `classify`"))
        #expect(check("load fashion-mnist n=2 | classify outputs=probabilities | report").isEmpty)
        #expect(check("load fashion-mnist n=2 | attack pgd | classify outputs=none | report").isEmpty)
    }
}
