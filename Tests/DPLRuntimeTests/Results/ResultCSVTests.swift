import Foundation
import Testing
import DPLAttacks
@testable import DPLRuntime

/// The CSV forms of results: one line per sample (attacked samples, clean predictions and
/// measured samples) and one line per result with every accuracy's interval.
@Suite struct ResultCSVTests {
    static func cleanRow() -> ResultRow {
        var row = ResultRow(label: "clean, vote", dataset: "d", defense: "cnn", rule: .vote(3), cleanAccuracy: Proportion(1, of: 2),
                            robustAccuracy: nil, attackSuccess: nil, threatModel: nil, attack: nil, flags: [], samples: [])
        row.predictions = [PredictionRow(sampleID: 11, label: 4, prediction: 4, correct: true, drawPredictions: [4, 4, 2]),
                           PredictionRow(sampleID: 12, label: 1, prediction: 3, correct: false)]
        return row
    }

    /// The lines of `text` that are not comments.
    static func table(_ text: String) -> [[String]] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func perSampleLinesHoldAttackedSamplesAndCleanPredictions() throws {
        let lines = Self.table(try ResultCSV.perSample([Self.cleanRow(), ResultsDocumentTests.fullRow()]))
        #expect(lines[0] == ["result", "sample_id", "label", "clean_prediction", "adversarial_prediction", "clean_correct",
                             "robust_correct", "linf", "l2", "compression"])
        #expect(lines[1] == ["\"clean", " vote\"", "11", "4", "4", "", "true", "", "", "", ""], "a label with a comma is quoted")
        #expect(lines[2].suffix(9) == ["12", "1", "3", "", "false", "", "", "", ""])
        #expect(lines[3] == ["pgd t=100", "7", "1", "1", "2", "true", "false", "\(Float(0.031372549))", "1.25", "1.5"])
        #expect(lines[4] == ["pgd t=100", "18446744073709551615", "0", "3", "3", "false", "false", "0.0", "0.0", ""])
        #expect(lines.count == 5)
    }

    @Test func summaryHasOneLinePerResultWithIntervals() throws {
        let rows = [Self.cleanRow(), ResultsDocumentTests.fullRow()]
        let lines = Self.table(try ResultCSV.summary(rows))
        let header = lines[0]
        #expect(lines.count == 3)
        func cell(_ line: Int, _ name: String) throws -> String {
            let index = try #require(header.firstIndex(of: name), "column \(name)")
            // The clean row's label holds a quoted comma: count columns from the end.
            let row = lines[line]
            return row[row.count - (header.count - index)]
        }
        let attacked = rows[1]
        let (low, high) = try #require(attacked.robustAccuracy).wilson95
        #expect(try cell(2, "robust_accuracy") == "0.25" && cell(2, "robust_accuracy_successes") == "1")
        #expect(try cell(2, "robust_accuracy_low95") == "\(low)" && cell(2, "robust_accuracy_high95") == "\(high)")
        #expect(try cell(2, "x") == "100.0" && cell(2, "series") == "fixed" && cell(2, "evaluation") == "vote:5")
        #expect(try cell(2, "target") == "random" && cell(2, "targeted_success") == "1.0" && cell(2, "distance_mean") == "0.5")
        #expect(try cell(1, "clean_accuracy") == "0.5" && cell(1, "robust_accuracy") == "" && cell(1, "n") == "2")
        #expect(ResultCSV.summaryPath(beside: "/a/r.shard-1-of-2.csv") == "/a/r.shard-1-of-2.summary.csv")
    }

    @Test func cleanPredictionsSurviveTheJSONDocument() throws {
        let text = try ResultWriter.json([Self.cleanRow()])
        #expect(text.contains("\"draws\" : [\n"), "three draws are listed")
        let back = try ResultsDocument.read(Data(text.utf8), file: "c.json").rows(file: "c.json")
        #expect(back.first?.predictions == Self.cleanRow().predictions)
    }
}
