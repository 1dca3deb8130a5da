import DPLLang

// MARK: - Completion

/// `textDocument/completion`: the REPL's candidates (`CompletionVocabulary.completions`) for
/// the word before the cursor, each as an item that replaces that word, with the stage's or
/// parameter's doc line beside it.
struct DocumentCompletion {
    let registry: StageRegistry
    let settings: SettingsRegistry

    /// Characters that end a word, besides spaces: completion restarts after them.
    private static let wordBreaks: Set<Character> = [" ", "\t", "|", "(", ")", "[", "]", "{", "}", ",", ";"]
    private static let keywords: Set<String> = ["let", "set", "def", "for", "import", "require"]

    func completionList(for document: OpenDocument, at position: Position, encoding: PositionEncoding) -> JSON {
        let lines = TextLines(document.text, encoding: encoding)
        let before = lines.prefix(ofLine: position.line, upTo: position.character)
        // Inside a string or a comment there is nothing from the registry to offer.
        var inString = false
        for character in before {
            if character == "\"" { inString.toggle() }
            if character == "#", !inString { return Self.list([]) }
        }
        if inString { return Self.list([]) }
        let word = String(before.reversed().prefix { !Self.wordBreaks.contains($0) }.reversed())
        let program = Parser.parse(SourceFile(name: document.sourceName, text: document.text)).program
        let vocabulary = DocumentNames(program).vocabulary(registry: registry, settings: settings)
        let candidates = vocabulary.completions(before: before, word: word)
        let cursorColumn = before.utf8.count
        let range = TextRange(start: Position(line: position.line,
                                              character: lines.character(ofByteColumn: cursorColumn - word.utf8.count, inLine: position.line)),
                              end: Position(line: position.line, character: lines.character(ofByteColumn: cursorColumn, inLine: position.line)))
        // The stage whose arguments are being written, or nil while a statement's first word
        // (a stage, variable or keyword) is being written.
        let firstWord = Self.firstWordOfSegment(before: before)
        let stage = firstWord == nil || firstWord == word || firstWord == "let" ? nil : firstWord
        return Self.list(candidates.map { item($0, range: range, argumentsOf: stage, vocabulary: vocabulary) })
    }

    /// The first word after the last `|`, as `CompletionVocabulary` reads it.
    private static func firstWordOfSegment(before: String) -> String? {
        let segment = before.split(separator: "|", omittingEmptySubsequences: false).last ?? Substring(before)
        return segment.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
    }

    private func item(_ candidate: String, range: TextRange, argumentsOf stage: String?, vocabulary: CompletionVocabulary) -> JSON {
        // LSP's CompletionItemKind numbers.
        let kind: Int
        var detail: String?
        if Self.keywords.contains(candidate) {
            kind = 14
        } else if stage == "set", let setting = settings.definition(candidate) {
            kind = 10
            detail = setting.doc
        } else if let stage, candidate.hasSuffix("=") {
            kind = 5
            detail = registry.signature(named: stage)?.parameters.first { $0.name + "=" == candidate }?.doc
        } else if stage == nil, vocabulary.stageNames.contains(candidate) {
            kind = 3
            detail = registry.signature(named: candidate)?.doc ?? "a `def` of this script"
        } else if vocabulary.variableNames.contains(candidate) {
            kind = 6
        } else {
            kind = 20
        }
        var members: [String: JSON] = [
            "label": .string(candidate),
            "kind": .integer(kind),
            "textEdit": ["range": range.json, "newText": .string(candidate)],
        ]
        if let detail { members["detail"] = .string(detail) }
        return .object(members)
    }

    private static func list(_ items: [JSON]) -> JSON {
        ["isIncomplete": false, "items": .array(items)]
    }
}
