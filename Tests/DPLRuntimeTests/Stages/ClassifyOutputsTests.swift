import Foundation
import Testing
import DPLLang
@testable import DPLRuntime

/// `classify outputs=logits|probabilities`: the model's outputs in each sample's row (a clean
/// evaluation's prediction, an attacked sample's clean and adversarial verdicts), in JSON and in
/// the per-sample CSV (one column per class), read back as written, and checked before running. ShardMergeTests merges such rows from three shards bit for bit.
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

    /// After an attack each sample's row carries the clean and the adversarial verdict's
    /// outputs: JSON keys, CSV columns `logit_c` and `adversarial_logit_c`, read back as written.
    @Test func attackedRowsCarryBothVerdictsOutputs() throws {
        let run = fixture.run("""
        set classifier = "$DIR/cnn.safetensors"
        set batch = 2
        let data = load images path="$DIR/images" n=4
        data | attack pgd steps=2 | classify outputs=logits | report as "attacked"
        data | classify outputs=logits | report as "clean"
        for o in ["probabilities"] { data | attack pgd steps=2 | classify outputs=o | report as "attacked-p" }
        results | save "$DIR/a.json"
        results | save "$DIR/a.csv"
        """)
        try #require(run.error == nil, "\(run.error ?? "")")
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.folder + "/a.json"))
        let results = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["results"] as? [[String: Any]])
        let attacked = try #require(results[0]["samples"] as? [[String: Any]])
        let clean = try #require(results[1]["predictions"] as? [[String: Any]])
        #expect(attacked.count == 4 && clean.count == 4)
        for (sample, prediction) in zip(attacked, clean) {
            let logits = try #require(sample["logits"] as? [Double]), adversarial = try #require(sample["adversarial_logits"] as? [Double])
            #expect(logits.count == 10 && adversarial.count == 10)
            #expect(logits == prediction["logits"] as? [Double], "the clean verdict's logits are a clean evaluation's")
            #expect(adversarial.firstIndex(of: adversarial.max() ?? 0) == sample["adversarial_prediction"] as? Int)
            #expect(sample["probabilities"] == nil && sample["adversarial_probabilities"] == nil)
        }
        let probabilities = try #require(results[2]["samples"] as? [[String: Any]])
        for sample in probabilities {
            let p = try #require(sample["adversarial_probabilities"] as? [Double])
            #expect(abs(p.reduce(0, +) - 1) < 1e-6 && sample["logits"] == nil)
        }

        let table = ResultCSVTests.table(try String(contentsOfFile: fixture.folder + "/a.csv", encoding: .utf8))
        #expect(Array(table[0][9...]) == (0..<10).map { "logit_\($0)" } + (0..<10).map { "probability_\($0)" }
                + (0..<10).map { "adversarial_logit_\($0)" } + (0..<10).map { "adversarial_probability_\($0)" })
        let attackedLine = try #require(table.first { $0[0] == "attacked" })
        #expect(attackedLine[9..<19].map { Float($0) } == (try #require(attacked[0]["logits"] as? [Double])).map { Float($0) })
        #expect(attackedLine[29..<39].allSatisfy { Double($0) != nil } && attackedLine[19..<29].allSatisfy(\.isEmpty))
        let cleanLine = try #require(table.first { $0[0] == "clean" })
        #expect(cleanLine[9..<19].allSatisfy { Double($0) != nil } && cleanLine[29...].allSatisfy(\.isEmpty))

        let rows = try ResultReader.rows(ofFile: fixture.folder + "/a.json")
        let outputs = try #require(rows.first?.samples.first?.outputs)
        #expect(outputs.kind == .logits && outputs.clean.count == 10)
        #expect(try ResultReader.rows(ofFile: fixture.folder + "/a.json").map(\.samples) == rows.map(\.samples))
        #expect(try ResultWriter.json(rows).contains("\"adversarial_logits\""))
    }

    /// A saved sample with half its outputs is a malformed file, named with the place.
    @Test func aSampleWithOneVerdictsOutputsIsMalformed() throws {
        let run = fixture.run("""
        load images path="$DIR/images" n=2 | attack pgd steps=1 | classify model="$DIR/cnn.safetensors" outputs=logits | save "$DIR/b.json"
        """)
        try #require(run.error == nil, "\(run.error ?? "")")
        let path = fixture.folder + "/b.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"adversarial_logits\"", with: "\"unused\"").write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: (any Error).self) { try ResultReader.rows(ofFile: path) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("model outputs are not one kind given for both the clean and the adversarial verdict"), "\(error)")
    }

    @Test func outputsAreCheckedBeforeRunning() throws {
        let session = Session(registry: try BuiltinStages.makeRegistry()) { _ in }
        func check(_ source: String) -> String { session.check(SourceFile(name: "c.dpl", text: source + "\n")).errorText ?? "" }
        #expect(check("load fashion-mnist n=2 | classify outputs=logit").contains("parameter `outputs` of `classify`"))
        #expect(check("load fashion-mnist n=2 | classify outputs=probabilities | report").isEmpty)
        #expect(check("load fashion-mnist n=2 | attack pgd | classify outputs=logits | report").isEmpty)
    }
}
