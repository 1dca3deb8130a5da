import Foundation
@testable import DPLLang
import DPLLangTestSupport

func memoryLoader(_ files: [String: String]) -> SourceLoader {
    SourceLoader(currentDirectory: "/scripts") { path in
        guard let text = files[path] else { throw FakeFailure(description: "no such file") }
        return text
    }
}

/// Runs `text` in a fresh session over the test registry; returns printed lines and the outcome.
func runScript(_ text: String, files: [String: String] = [:], name: String = "/scripts/main.dpl")
    -> (output: [String], outcome: Outcome) {
    var lines: [String] = []
    let session = Session(registry: makeTestRegistry(), loader: memoryLoader(files)) { lines.append($0) }
    let outcome = session.run(SourceFile(name: name, text: text))
    return (lines, outcome)
}

/// The diagnostics `text` produces when checked, as `line:col message`.
func checkMessages(_ text: String, files: [String: String] = [:]) -> [String] {
    let session = Session(registry: makeTestRegistry(), loader: memoryLoader(files)) { _ in }
    guard case .scriptErrors(let report) = session.check(SourceFile(name: "/scripts/main.dpl", text: text)) else { return [] }
    return report.diagnostics.map { "\($0.span.line):\($0.span.column) \($0.fullMessage)" }
}

/// Parse diagnostics as `line:col message`.
func parseMessages(_ text: String) -> [String] {
    Parser.parse(SourceFile(name: "t.dpl", text: text)).diagnostics.map { "\($0.span.line):\($0.span.column) \($0.fullMessage)" }
}

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Whether `outcome` is errors in the script (nothing ran).
func isScriptErrors(_ outcome: Outcome) -> Bool {
    if case .scriptErrors = outcome { return true }
    return false
}

/// Whether `outcome` is a failure while running.
func isRuntimeFailure(_ outcome: Outcome) -> Bool {
    if case .runtimeFailure = outcome { return true }
    return false
}
