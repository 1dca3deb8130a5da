import DPLLang

// MARK: - Diagnostics

/// Checks a document exactly as `dpl check` does (one `Session.check`, the same registry and
/// settings, imports read by the same loader) and turns each diagnostic into the protocol's:
/// the same sentence with its "did you mean", severity error (DPL's only severity), and the
/// span's line and column converted to the client's position encoding. Nothing runs: `check`
/// parses and checks and reads imported scripts, and never calls a stage's body.
struct DocumentDiagnostics {
    let registry: StageRegistry
    let settings: SettingsRegistry
    let loader: SourceLoader

    /// The `Diagnostic[]` for `document`.
    func diagnostics(for document: OpenDocument, encoding: PositionEncoding) -> [JSON] {
        let source = SourceFile(name: document.sourceName, text: document.text)
        let session = Session(registry: registry, settings: settings, loader: loader, output: { _ in })
        guard case .scriptErrors(let report) = session.check(source) else { return [] }
        let lines = TextLines(document.text, encoding: encoding)
        let imports = importSpans(of: source)
        return report.diagnostics.map { diagnostic in
            let span = diagnostic.span
            if span.file == document.sourceName {
                return Self.json(range: lines.range(line: span.line, column: span.column, length: span.length),
                                 message: diagnostic.fullMessage)
            }
            // A problem in an imported script is shown on the `import` that reaches it (the one
            // naming that file, else the first), with the exact place as related information.
            let anchor = imports.first { $0.path == span.file }?.span ?? imports.first?.span
                ?? SourceSpan(file: document.sourceName, line: 1, column: 1, length: 0)
            let fileName = span.file.split(separator: "/").last.map(String.init) ?? span.file
            var entry = Self.json(range: lines.range(line: anchor.line, column: anchor.column, length: anchor.length),
                                  message: "in `\(fileName)` line \(span.line): \(diagnostic.fullMessage)")
            if case .object(var members) = entry, let importedText = report.sources[span.file]?.text {
                let importedLines = TextLines(importedText, encoding: encoding)
                let location: JSON = ["uri": .string(OpenDocument.uri(ofPath: span.file)),
                                      "range": importedLines.range(line: span.line, column: span.column, length: span.length).json]
                members["relatedInformation"] = [["location": location, "message": .string(diagnostic.fullMessage)]]
                entry = .object(members)
            }
            return entry
        }
    }

    /// The top-level imports of `source`: the canonical path each names and where it is written.
    private func importSpans(of source: SourceFile) -> [(path: String, span: SourceSpan)] {
        Parser.parse(source).program.statements.compactMap { statement in
            guard case .importFile(let node) = statement else { return nil }
            return (loader.canonicalPath(loader.resolve(node.path, relativeTo: source.name)), node.pathSpan)
        }
    }

    private static func json(range: TextRange, message: String) -> JSON {
        ["range": range.json, "severity": 1, "source": "dpl", "message": .string(message)]
    }
}
