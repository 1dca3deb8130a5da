import DPLLang

// MARK: - Hover

/// `textDocument/hover`: over a stage's name, its `dpl help STAGE` text; over a `key=` of a
/// stage call, that parameter as `dpl help STAGE` lists it; over a `set` key, the setting's.
/// The text comes from `Help`, which renders `dpl help` and docs/builtins.md from the same
/// registry, so the three cannot disagree. Found in the syntax tree, so a name inside a
/// string or comment shows nothing.
struct DocumentHover {
    let registry: StageRegistry
    let settings: SettingsRegistry

    /// The hover, or `null` when nothing documented is under the cursor.
    func hover(for document: OpenDocument, at position: Position, encoding: PositionEncoding, markdown: Bool) -> JSON {
        let lines = TextLines(document.text, encoding: encoding)
        let line = lines.line(position.line)
        let column = lines.byteColumn(ofCharacter: position.character, in: line) + 1
        let program = Parser.parse(SourceFile(name: document.sourceName, text: document.text)).program
        guard let (text, span) = help(in: program.statements, line: position.line + 1, column: column) else { return .null }
        let value = markdown ? "```text\n\(text)\n```" : text
        return ["contents": ["kind": .string(markdown ? "markdown" : "plaintext"), "value": .string(value)],
                "range": lines.range(line: span.line, column: span.column, length: span.length).json]
    }

    private func help(in statements: [Statement], line: Int, column: Int) -> (String, SourceSpan)? {
        func covers(_ span: SourceSpan) -> Bool {
            // The end counts too: a cursor just after a name is on it for keyboard-asked hovers.
            span.line == line && column >= span.column && column <= span.column + span.length
        }
        for statement in statements where statement.span.line <= line && line <= statement.span.endLine {
            switch statement {
            case .pipeline(let pipeline):
                if let found = help(in: pipeline, covers: covers) { return found }
            case .letBinding(let node):
                if let found = help(in: node.value, covers: covers) { return found }
            case .setting(let node):
                if covers(node.keySpan), let setting = settings.definition(node.key) {
                    return ("set " + Help.parameter(setting), node.keySpan)
                }
                if let found = help(in: node.value, covers: covers) { return found }
            case .definition(let node):
                if let found = help(in: node.body, covers: covers) { return found }
            case .loop(let node):
                if let found = help(in: node.body, line: line, column: column) { return found }
            case .importFile, .require: break
            }
        }
        return nil
    }

    private func help(in pipeline: Pipeline, covers: (SourceSpan) -> Bool) -> (String, SourceSpan)? {
        for call in pipeline.allStages {
            guard let signature = registry.signature(named: call.name) else { continue }
            if covers(call.nameSpan) { return (Help.stage(signature), call.nameSpan) }
            for argument in call.arguments where argument.label != nil && covers(argument.labelSpan) {
                guard let parameter = signature.parameters.first(where: { $0.name == argument.label }) else { continue }
                return ("\(signature.name) " + Help.parameter(parameter, positional: signature.positional), argument.labelSpan)
            }
        }
        return nil
    }
}
