import Foundation
import DPLLang
import DPLNN

// MARK: - `dpl verify results.json`

/// Reruns the experiment a results JSON records and compares the new results with the saved
/// ones. It lives in the runtime (not in `Driver`) because rerunning needs the built-in stages.
public struct ResultVerifier {
    /// Largest absolute difference accepted between two numbers (0: bit-identical).
    public var tolerance: Double
    /// Receives the report.
    public var output: (String) -> Void
    /// Receives problems with the input.
    public var errors: (String) -> Void

    /// A verifier printing to `output` and `errors`.
    public init(tolerance: Double = 0, output: @escaping (String) -> Void, errors: @escaping (String) -> Void) {
        self.tolerance = tolerance
        self.output = output
        self.errors = errors
    }

    /// Verifies the results file at `path`: `.success` when every result is identical or
    /// within tolerance, `.notReproduced` when one differs or a recorded file is missing or
    /// changed, `.failed` when the rerun itself failed, `.usage` for an unreadable file.
    public func verify(resultsPath path: String) -> CommandResult {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let recorded: RecordedExperiment
        do {
            recorded = try RecordedExperiment(resultsPath: absolute)
        } catch {
            errors("dpl verify: \(error)")
            return .usage
        }
        if recorded.version != DPLVersion.current {
            output("note: \(path) was written by DPL \(recorded.version); this is DPL \(DPLVersion.current), so differences may come from the version")
        }
        let problems = recorded.fileProblems()
        guard problems.isEmpty else {
            output("cannot rerun: files the experiment used are missing or changed:")
            for problem in problems { output("  " + problem) }
            return .notReproduced
        }
        let folder = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("dpl-verify-\(UUID().uuidString.prefix(8))")
        output("rerunning \(recorded.mainScripts.map { ($0.path as NSString).lastPathComponent }.joined(separator: ", ")) (output under \(folder))")
        let rerun: ParsedResults
        do {
            rerun = try recorded.rerun(outputFolder: folder, output: { _ in })
        } catch {
            output("the rerun failed: \(error)")
            return .failed
        }
        var code = compare(recorded: recorded.results.tree, rerun: rerun.tree)
        let unrecorded = recorded.filesNotRecorded(openedBy: rerun.document)
        if !unrecorded.isEmpty {
            output("the rerun opened files whose hashes the saved run did not record:")
            for line in unrecorded { output("  " + line) }
            code = .notReproduced
        }
        if code == .success { try? FileManager.default.removeItem(atPath: folder) }
        else { output("the rerun's files are kept in \(folder)") }
        return code
    }

    // MARK: Comparing

    private func compare(recorded: JSONValue, rerun: JSONValue) -> CommandResult {
        let old = recorded["results"]?.elements ?? []
        let new = rerun["results"]?.elements ?? []
        let rule = tolerance == 0 ? "bit-identical" : "tolerance \(tolerance) absolute on every number"
        output("comparing \(old.count) result(s) (\(rule)):")
        var code = CommandResult.success
        for (index, saved) in old.enumerated() {
            let label = saved["label"]?.text ?? "result \(index + 1)"
            guard index < new.count else {
                output("  \(label): different — the rerun produced no result \(index + 1)")
                code = .notReproduced
                continue
            }
            var differences: [String] = []
            var largest = 0.0
            JSONComparison.compare(saved, new[index], path: "", tolerance: tolerance, largest: &largest, differences: &differences)
            if differences.isEmpty {
                output("  \(label): " + (largest == 0 ? "identical" : "within tolerance \(tolerance) (largest difference \(largest))"))
            } else {
                code = .notReproduced
                output("  \(label): different in \(differences.count) value(s):")
                for line in differences.prefix(20) { output("    " + line) }
                if differences.count > 20 { output("    … and \(differences.count - 20) more") }
            }
        }
        if new.count > old.count {
            output("  the rerun produced \(new.count - old.count) result(s) more than were saved")
            code = .notReproduced
        }
        return code
    }
}

/// A deep comparison of two JSON values with an absolute tolerance on numbers.
enum JSONComparison {
    static func compare(_ a: JSONValue, _ b: JSONValue, path: String, tolerance: Double, largest: inout Double, differences: inout [String]) {
        switch (a, b) {
        case let (.object(x), .object(y)):
            for key in Set(x.keys).union(y.keys).sorted() {
                let child = path.isEmpty ? key : path + "." + key
                guard let xv = x[key], let yv = y[key] else {
                    differences.append("\(child): \(x[key].map(render) ?? "absent") → \(y[key].map(render) ?? "absent")")
                    continue
                }
                compare(xv, yv, path: child, tolerance: tolerance, largest: &largest, differences: &differences)
            }
        case let (.array(x), .array(y)):
            guard x.count == y.count else {
                differences.append("\(path): \(x.count) entries → \(y.count)")
                return
            }
            for i in x.indices { compare(x[i], y[i], path: "\(path)[\(i)]", tolerance: tolerance, largest: &largest, differences: &differences) }
        case let (.number(x), .number(y)):
            let gap = abs(x - y)
            if gap > tolerance || gap.isNaN { differences.append("\(path): \(render(a)) → \(render(b))") }
            else { largest = max(largest, gap) }
        default:
            if a != b { differences.append("\(path): \(render(a)) → \(render(b))") }
        }
    }

    static func render(_ value: JSONValue) -> String { (try? JSONCoding.line(value)) ?? "?" }
}
