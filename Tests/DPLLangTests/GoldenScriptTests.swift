import Foundation
import Testing
@testable import DPLLang
import DPLLangTestSupport

/// Runs every script in Tests/Scripts/<feature>/<case>.dpl against the expectations written in
/// its comments:
///
///     # expect: a line the script prints
///     # expect-error: case.dpl:3:14 unknown stage `purfy`; did you mean `purify`?
///     # expect-runtime-error: case.dpl:2:10 stage `explode` failed: the model file is missing
///
/// `expect` lines must match the printed output exactly and in order; error expectations list
/// every diagnostic (file names are compared without their folder).
@Suite struct GoldenScriptTests {
    static let scriptsRoot = packageRoot.appendingPathComponent("Tests/Scripts")

    static var scripts: [URL] {
        let enumerator = FileManager.default.enumerator(at: scriptsRoot, includingPropertiesForKeys: nil)
        var found: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            if url.pathExtension == "dpl" { found.append(url) }
        }
        return found.sorted { $0.path < $1.path }
    }

    @Test func thereAreGoldenScripts() {
        #expect(Self.scripts.count >= 10)
    }

    @Test(arguments: scripts)
    func goldenScript(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var expectedOutput: [String] = []
        var expectedErrors: [String] = []
        var expectedRuntime: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let hash = line.range(of: "# expect") else { continue }
            let directive = line[hash.lowerBound...]
            if let rest = directive.stripping("# expect: ") { expectedOutput.append(rest) }
            else if let rest = directive.stripping("# expect-error: ") { expectedErrors.append(rest) }
            else if let rest = directive.stripping("# expect-runtime-error: ") { expectedRuntime.append(rest) }
        }
        var output: [String] = []
        let session = Session(registry: makeTestRegistry(), loader: .fileSystem) { output.append($0) }
        let outcome = session.run(SourceFile(name: url.path, text: text))
        func shortened(_ report: DiagnosticReport) -> [String] {
            report.diagnostics.map {
                "\(URL(fileURLWithPath: $0.span.file).lastPathComponent):\($0.span.line):\($0.span.column) \($0.fullMessage)"
            }
        }
        switch outcome {
        case .success:
            #expect(expectedErrors.isEmpty && expectedRuntime.isEmpty, "expected errors in \(url.lastPathComponent)")
        case .scriptErrors(let report):
            #expect(shortened(report) == expectedErrors, "\(url.lastPathComponent)")
        case .runtimeFailure(let report):
            #expect(shortened(report) == expectedRuntime, "\(url.lastPathComponent)")
        case .cancelled(let report):
            Issue.record("\(url.lastPathComponent) was cancelled: \(report.rendered)")
        }
        #expect(output == expectedOutput, "\(url.lastPathComponent)")
    }

    /// Every golden script that parses is already in canonical form, and formatting is idempotent.
    @Test(arguments: scripts)
    func formatterRoundTrip(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let (program, diagnostics) = Parser.parse(SourceFile(name: url.path, text: text))
        guard diagnostics.isEmpty else { return }
        let formatted = Formatter.format(program)
        #expect(formatted == text, "\(url.lastPathComponent) is not in canonical form")
        let again = Formatter.format(Parser.parse(SourceFile(name: url.path, text: formatted)).program)
        #expect(again == formatted)
    }
}

extension Substring {
    func stripping(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
