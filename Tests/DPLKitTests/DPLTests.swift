import Foundation
import Testing
import DPLKit

/// DPLKit through its public API only, as an embedding program sees it. The runs use the
/// Fashion-MNIST test split at /usr/share/datasets/fashion-mnist and the shipped classifier.
@Suite struct DPLTests {
    private static let datasetInstalled =
        FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")

    // MARK: Results as values

    @Test(.enabled(if: datasetInstalled)) func cleanAccuracyRow() throws {
        let result = try DPL.run(source: "load fashion-mnist split=test n=8 | classify | report as \"clean\"")
        #expect(result.rows.count == 1)
        let row = try #require(result.rows.first)
        #expect(row.label == "clean")
        #expect(row.dataset.contains("fashion-mnist"))
        #expect(row.n == 8)
        let accuracy = try #require(row.cleanAccuracy)
        #expect(accuracy.total == 8)
        #expect((0...8).contains(accuracy.successes))
        #expect(accuracy.estimate == Double(accuracy.successes) / 8)
        #expect(accuracy.lower95 <= accuracy.estimate! && accuracy.estimate! <= accuracy.upper95)
        #expect(row.robustAccuracy == nil && row.attack == nil && row.samples.isEmpty)
        #expect(row.evaluationRule != nil)
        #expect(result.output.hasPrefix("clean"))
        #expect(result.output.contains("accuracy"))
    }

    @Test(.enabled(if: datasetInstalled)) func modelOutputsInPredictionRows() throws {
        let result = try DPL.run(source: "let data = load fashion-mnist split=test n=4\ndata | classify outputs=probabilities | report\ndata | classify | report")
        let withOutputs = try #require(result.rows.first?.predictions)
        #expect(withOutputs.count == 4)
        for prediction in withOutputs {
            let probabilities = try #require(prediction.probabilities)
            #expect(probabilities.count == 10 && prediction.logits == nil)
            #expect(probabilities.firstIndex(of: probabilities.max() ?? 0) == prediction.prediction)
        }
        #expect(result.rows.last?.predictions.allSatisfy { $0.probabilities == nil && $0.logits == nil } == true)
    }

    @Test(.enabled(if: datasetInstalled)) func modelOutputsInAttackedSamples() throws {
        let result = try DPL.run(source: "load fashion-mnist split=test n=2 | attack fgsm eps=8/255 | classify outputs=logits | report")
        let samples = try #require(result.rows.first?.samples)
        #expect(samples.count == 2)
        for sample in samples {
            let clean = try #require(sample.cleanLogits), adversarial = try #require(sample.adversarialLogits)
            #expect(clean.count == 10 && adversarial.count == 10 && sample.cleanProbabilities == nil)
            #expect(clean.firstIndex(of: clean.max() ?? 0) == sample.cleanPrediction)
            #expect(adversarial.firstIndex(of: adversarial.max() ?? 0) == sample.adversarialPrediction)
        }
    }

    @Test(.enabled(if: datasetInstalled)) func attackedRowsSamplesAndMeasurements() throws {
        let source = """
        let data = load fashion-mnist split=test n=4
        data | attack fgsm eps=2/255 | classify | report as "fgsm" x=2
        data | attack fgsm eps=2/255 | classify | measure distance from=clean to=adversarial p=2
        results
        """
        let result = try DPL.run(source: source, settings: ["batch": "2", "threads": "1"])
        #expect(result.rows.count == 2)
        let attacked = result.rows[0]
        #expect(attacked.label == "fgsm" && attacked.x == 2)
        #expect(attacked.attack?.hasPrefix("fgsm") == true)
        #expect(attacked.threatModel != nil)
        #expect(attacked.samples.count == 4)
        let robust = try #require(attacked.robustAccuracy)
        #expect(robust.total == 4)
        #expect(robust.successes == attacked.samples.filter(\.robustCorrect).count)
        #expect(attacked.cleanAccuracy?.successes == attacked.samples.filter(\.cleanCorrect).count)
        for sample in attacked.samples {
            #expect(sample.linfDistance <= 2 / 255 + 1e-6)
            #expect((0..<10).contains(sample.label))
        }
        let measured = result.rows[1]
        #expect(!measured.measurements.isEmpty)
        #expect(measured.measurements.allSatisfy { $0.value.isFinite && $0.value >= 0 })
        #expect(measured.sampleMeasurements.sampleIDs.count == 4)
        #expect(measured.sampleMeasurements.columns.allSatisfy { $0.values.count == 4 })
        // `results` printed the table of both rows last.
        #expect(result.outputLines.last?.contains("fgsm") == true || result.output.contains("fgsm"))
    }

    /// What `save "x.json"` wrote reads back as the rows the run returned.
    @Test(.enabled(if: datasetInstalled)) func savedResultsReadBackAsTheRunsRows() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dplkit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try DPL.run(source: """
        let data = load fashion-mnist split=test n=4
        data | attack fgsm eps=2/255 | classify | report as "fgsm" x=2 series="a"
        data | attack fgsm eps=2/255 | classify | measure distance from=clean to=adversarial p=2
        results | save "r.json"
        """, settings: ["batch": "2", "threads": "1"], baseDirectory: folder)
        let read = try DPL.readResults(file: folder + "/r.json")
        #expect(read.count == 2)
        #expect(read.first == result.rows.first)
        #expect(read.last.map { Set($0.measurements.map(\.name)) } == result.rows.last.map { Set($0.measurements.map(\.name)) })
        // A JSON object keeps no order, so columns read back in name order.
        let columns = { (row: DPLResultRow?) in row?.sampleMeasurements.columns.sorted { $0.name < $1.name } }
        #expect(columns(read.last) == columns(result.rows.last) && columns(read.last)?.isEmpty == false)
        #expect(read.last?.sampleMeasurements.sampleIDs == result.rows.last?.sampleMeasurements.sampleIDs)
        #expect(throws: DPLError.self) { try DPL.readResults(file: folder + "/missing.json") }
    }

    // MARK: Errors

    @Test func checkErrorIsThrownWithItsPlace() throws {
        do {
            _ = try DPL.run(source: "load fashion-mnist n=8\n  | purfy t=10", name: "bad.dpl")
            Issue.record("expected an error")
        } catch let error as DPLError {
            #expect(error.kind == .script)
            #expect(error.diagnostics.count == 1)
            let diagnostic = try #require(error.diagnostics.first)
            #expect(diagnostic.file == "bad.dpl" && diagnostic.line == 2 && diagnostic.column == 5)
            #expect(diagnostic.message == "unknown stage `purfy`; did you mean `purify`?")
            #expect(error.description.hasPrefix("bad.dpl:2:5: error: unknown stage `purfy`"))
            #expect(error.outputLines.isEmpty)
        }
    }

    @Test func runtimeFailureKeepsEarlierOutput() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dplkit-\(UUID().uuidString)").path
        do {
            // An interpolated path is known only when it runs (a literal missing one is a check error).
            _ = try DPL.run(source: "let name = \"missing\"\n1 + 2\nload images path=\"{name}\"", baseDirectory: folder, name: "run.dpl")
            Issue.record("expected an error")
        } catch let error as DPLError {
            #expect(error.kind == .runtime)
            #expect(error.outputLines == ["3"])
            #expect(error.diagnostics.first?.line == 3 && error.diagnostics.first?.column == 1)
            #expect(error.description.hasPrefix("run.dpl:3:1: error: stage `load` failed"))
        }
    }

    @Test func badSettingIsThrownBeforeRunning() {
        #expect(throws: DPLError.self) { try DPL.run(source: "1", settings: ["bach": "2"]) }
    }

    @Test func versionRequirementIsCheckedFromSwift() throws {
        #expect(try DPL.run(source: "require dpl \">= 0.2\"\n1 + 1").outputLines == ["2"])
        do {
            try DPL.check(source: "require dpl \">= 99\"\nload fashion-mnist | purfy", name: "new.dpl")
            Issue.record("expected an error")
        } catch let error as DPLError {
            #expect(error.diagnostics.map(\.description) == [
                "new.dpl:1:1: this script requires dpl >= 99, but this is dpl \(DPL.version); install a newer DPL",
            ])
        }
    }

    @Test func unreadableFile() {
        do {
            _ = try DPL.run(file: "/nonexistent/script.dpl")
            Issue.record("expected an error")
        } catch let error as DPLError {
            #expect(error.kind == .unreadableFile)
            #expect(error.description.hasPrefix("/nonexistent/script.dpl:1:1:"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func runFileResolvesAgainstItsFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dplkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "let answer = 6*7\n".write(to: folder.appendingPathComponent("common.dpl"), atomically: true, encoding: .utf8)
        let script = folder.appendingPathComponent("main.dpl")
        try "import \"common.dpl\"\nanswer\n".write(to: script, atomically: true, encoding: .utf8)
        #expect(try DPL.run(file: script.path).outputLines == ["42"])
    }
}
