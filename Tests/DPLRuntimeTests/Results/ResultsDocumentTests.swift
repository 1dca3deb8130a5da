import Foundation
import Testing
import DPLAttacks
import DPLNN
@testable import DPLRuntime

/// The one results schema: what `save "x.json"` writes is what `dpl merge`, `dpl verify` and
/// `dpl pack` read, a file in DPL 0.2's layout reads and writes back unchanged, and a malformed
/// file or an unwritable value is an error naming the field.
@Suite struct ResultsDocumentTests {
    /// A result with every part filled: a targeted attack, a flag on two samples, a summary
    /// measurement and per-sample measurements with an undefined value and random pairs.
    static func fullRow() -> ResultRow {
        var row = ResultRow(label: "pgd t=100", dataset: "fashion-mnist test", defense: "purify(t=100) → cnn", rule: .vote(5),
                            cleanAccuracy: Proportion(3, of: 4), robustAccuracy: Proportion(1, of: 4),
                            attackSuccess: Proportion(2, of: 3), threatModel: "end-to-end", attack: "pgd eps=0.0314 steps=10",
                            flags: [SanityFlag(kind: .zeroGradients, message: "2 samples had zero gradients", sampleIDs: [7, 18_446_744_073_709_551_615])],
                            samples: [
                                SampleRow(sampleID: 7, label: 1, cleanPrediction: 1, adversarialPrediction: 2, cleanCorrect: true,
                                          robustCorrect: false, linfDistance: 0.031372549, l2Distance: 1.25, target: 2),
                                SampleRow(sampleID: 18_446_744_073_709_551_615, label: 0, cleanPrediction: 3, adversarialPrediction: 3,
                                          cleanCorrect: false, robustCorrect: false, linfDistance: 0, l2Distance: 0, target: nil),
                            ])
        row.targetRule = "random"
        row.targetedSuccess = Proportion(1, of: 1)
        row.x = 100
        row.series = "fixed"
        row.measurements = [("distance_mean", 0.5)]
        var measured = SampleMeasurements(sampleIDs: [7, 18_446_744_073_709_551_615], labels: [1, 0])
        measured.append(SampleMeasurements.Column(name: "compression", values: [1.5, nil], pairs: [[1.0, 2.0], [nil]]))
        row.sampleMeasurements = measured
        return row
    }

    @Test func aSavedResultReadsBackAsTheSameRow() throws {
        let text = try ResultWriter.json([Self.fullRow()])
        let back = try ResultReader.rows(of: try ResultsDocument.read(Data(text.utf8), file: "r.json"), file: "r.json")
        #expect(try ResultWriter.json(back) == text, "writing what was read gives the same bytes")
        let row = try #require(back.first)
        #expect(row.rule == .vote(5) && row.targetRule == "random" && row.targetedSuccess == Proportion(1, of: 1))
        #expect(row.samples.map(\.sampleID) == [7, 18_446_744_073_709_551_615], "64-bit ids survive as decimal text")
        #expect(row.samples.map(\.target) == [2, nil] && row.samples[0].linfDistance == Float(0.031372549))
        #expect(row.sampleMeasurements.columns.first?.values == [1.5, nil])
        #expect(row.sampleMeasurements.columns.first?.pairs == [[1.0, 2.0], [nil]])
        #expect(row.flags.first?.sampleIDs == [7, 18_446_744_073_709_551_615])
    }

    /// A file in the layout DPL 0.2 wrote (flat attack keys, null for an undefined value, the
    /// `target` key only in targeted rows) decodes and encodes back to the same JSON.
    @Test func aFileInTheOldLayoutRoundTripsUnchanged() throws {
        let old = """
        {"dpl_version": "0.2.0", "shard": {"index": 1, "count": 2},
         "run": {"file": "r.json", "started": "2026-01-01T00:00:00Z", "saved": "2026-01-01T00:01:00Z", "seconds": 60.5, "host": "h"},
         "provenance": {"dpl_version": "0.2.0", "source_commit": "abc", "scripts": [{"path": "/a/s.dpl", "sha256": "00", "text": "x", "imported": false}],
           "set_assignments": ["shard=1/2"], "settings": {"seed": "0", "shard": "\\"1/2\\""},
           "stages": [{"stage": "attack", "file": "s.dpl", "line": 3, "arguments": {"eps": "8/255"}}],
           "files": [{"role": "weights", "path": "/m/cnn.safetensors", "sha256": "11", "size": 42}],
           "threads": 2, "machine": {"cpu": "c", "os": "o", "cores": 2}},
         "results": [
          {"label": "clean", "dataset": "d", "defense": "cnn", "n": 2, "evaluation": "single",
           "clean_accuracy": {"value": 0.5, "wilson95": [0.1, 0.9], "successes": 1, "n": 2},
           "flags": [], "measurements": {}, "samples": []},
          {"label": "empty", "dataset": "d", "defense": "cnn", "n": 0, "flags": [{"kind": "zero-gradients", "message": "m"}],
           "measurements": {"distance_mean": 0.25},
           "sample_measurements": [{"id": "5", "label": 1, "compression": null, "compression_pairs": [null, 2]}],
           "clean_accuracy": {"value": null, "wilson95": [0, 1], "successes": 0, "n": 0},
           "robust_accuracy": {"value": null, "wilson95": [0, 1], "successes": 0, "n": 0},
           "attack_success": {"value": null, "wilson95": [0, 1], "successes": 0, "n": 0},
           "threat_model": "end-to-end", "attack": "pgd", "target_rule": "next",
           "targeted_success": {"value": null, "wilson95": [0, 1], "successes": 0, "n": 0},
           "samples": [{"id": "5", "label": 1, "clean_prediction": 1, "adversarial_prediction": 2, "clean_correct": true,
                        "robust_correct": false, "linf": 0.5, "l2": 1, "target": null}]}
         ]}
        """
        let document = try ResultsDocument.read(Data(old.utf8), file: "old.json")
        #expect(document.results[1].attackSummary?.targetRule == "next")
        #expect(document.results[0].attackSummary == nil, "a clean evaluation has no attack part")
        let original = try JSONDecoder().decode(JSONValue.self, from: Data(old.utf8))
        let rewritten = try JSONDecoder().decode(JSONValue.self, from: Data(try document.json().utf8))
        #expect(rewritten == original)
    }

    @Test func aMalformedFieldIsNamedWithItsFile() throws {
        let text = #"{"dpl_version": "0.3.0", "results": [{"label": "a", "dataset": "d", "defense": "c", "n": 1.5}]}"#
        #expect {
            _ = try ResultsDocument.read(Data(text.utf8), file: "shard.json")
        } throws: { error in
            "\(error)".contains("shard.json") && "\(error)".contains("whole number")
        }
        let missing = #"{"dpl_version": "0.3.0", "results": [{"label": "a", "dataset": "d", "n": 1}]}"#
        #expect {
            _ = try ResultsDocument.read(Data(missing.utf8), file: "m.json")
        } throws: { error in
            "\(error)".contains("`results[0].defense` is missing")
        }
        let badID = #"{"dpl_version": "0.3.0", "results": [{"label": "a", "dataset": "d", "defense": "c", "n": 1, "flags": [], "measurements": {}, "samples": [{"id": "x7", "label": 1, "clean_prediction": 1, "adversarial_prediction": 1, "clean_correct": true, "robust_correct": true, "linf": 0, "l2": 0}]}]}"#
        #expect {
            _ = try ResultReader.rows(of: try ResultsDocument.read(Data(badID.utf8), file: "b.json"), file: "b.json")
        } throws: { error in
            "\(error)".contains("b.json: result 1") && "\(error)".contains("x7")
        }
    }

    /// A value JSON cannot hold is an error naming it, not a silent `{}` file.
    @Test func aValueWithoutAJSONFormIsAnErrorNotAnEmptyFile() {
        var row = Self.fullRow()
        row.measurements = [("distance_mean", .nan)]
        #expect {
            _ = try ResultWriter.json([row])
        } throws: { error in
            "\(error)".contains("distance_mean") && "\(error)".contains("nothing was saved")
        }
    }

    @Test func provenanceCommentLinesLeaveScriptTextsOut() throws {
        let provenance = ProvenanceRecord(
            dplVersion: "0.3.0", sourceCommit: "abc", scripts: [.init(path: "/s.dpl", sha256: "00", text: "secret text", imported: false)],
            setAssignments: [], settings: ["seed": "0"], stages: [], files: [], threads: 2,
            machine: .init(cpu: "c", os: "o", cores: 2))
        let lines = try ProvenanceDocument.csvComment(provenance)
        #expect(lines.contains(#"# provenance: scripts = [{"imported":false,"path":"/s.dpl","sha256":"00"}]"#), "\(lines)")
        #expect(lines.contains(#"# provenance: threads = 2"#))
        #expect(!lines.joined().contains("secret text"))
    }
}
