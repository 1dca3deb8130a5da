import DPLLang

// MARK: - Hover

/// `textDocument/hover`: over a stage's name, its `dpl help STAGE` text; over a `key=` of a
/// stage call, that parameter as `dpl help STAGE` lists it; over a `set` key, the setting's;
/// over a call of a `def` of the script, the `def`'s own lines.
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
        let source = SourceFile(name: document.sourceName, text: document.text)
        let program = Parser.parse(source).program
        var definitions: [String: DefStatement] = [:]
        Self.collectDefinitions(program.statements, into: &definitions)
        let context = Context(source: source, definitions: definitions)
        guard let (text, span) = help(in: program.statements, line: position.line + 1, column: column, context: context) else { return .null }
        let value = markdown ? "```text\n\(text)\n```" : text
        return ["contents": ["kind": .string(markdown ? "markdown" : "plaintext"), "value": .string(value)],
                "range": lines.range(line: span.line, column: span.column, length: span.length).json]
    }

    /// What a hover needs besides the registry: the script and its `def`s.
    private struct Context {
        let source: SourceFile
        let definitions: [String: DefStatement]
    }

    private static func collectDefinitions(_ statements: [Statement], into definitions: inout [String: DefStatement]) {
        for statement in statements {
            if case .definition(let node) = statement, definitions[node.name] == nil { definitions[node.name] = node }
            if case .loop(let node) = statement { collectDefinitions(node.body, into: &definitions) }
        }
    }

    private func help(in statements: [Statement], line: Int, column: Int, context: Context) -> (String, SourceSpan)? {
        func covers(_ span: SourceSpan) -> Bool {
            // The end counts too: a cursor just after a name is on it for keyboard-asked hovers.
            span.line == line && column >= span.column && column <= span.column + span.length
        }
        for statement in statements where statement.span.line <= line && line <= statement.span.endLine {
            switch statement {
            case .pipeline(let pipeline):
                if let found = help(in: pipeline, covers: covers, context: context) { return found }
            case .letBinding(let node):
                if let found = help(in: node.value, covers: covers, context: context) { return found }
            case .setting(let node):
                if covers(node.keySpan), let setting = settings.definition(node.key) {
                    return ("set " + Help.parameter(setting), node.keySpan)
                }
                if let found = help(in: node.value, covers: covers, context: context) { return found }
            case .definition(let node):
                if let found = help(in: node.body, covers: covers, context: context) { return found }
            case .loop(let node):
                if let found = help(in: node.body, line: line, column: column, context: context) { return found }
            case .importFile, .require: break
            }
        }
        return nil
    }

    private func help(in pipeline: Pipeline, covers: (SourceSpan) -> Bool, context: Context) -> (String, SourceSpan)? {
        for call in pipeline.allStages {
            // A `def` of the script hides a built-in stage of its name, as when running.
            if let definition = context.definitions[call.name] {
                guard covers(call.nameSpan) else { continue }
                let lines = (definition.span.line...max(definition.span.line, definition.span.endLine)).map { context.source.line($0) }
                return (lines.joined(separator: "\n") + "\n  (a `def` of this script, line \(definition.span.line))", call.nameSpan)
            }
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
