import DPLLang

// MARK: - Formatting

/// `textDocument/formatting`: the text `dpl fmt` would write, as one edit replacing the
/// document, or no edit when it is already formatted. A script that does not parse is not
/// formatted (the formatter would drop the broken statements), and the client is told why.
enum DocumentFormatting {
    static func edits(for document: OpenDocument, encoding: PositionEncoding) -> Result<JSON, ResponseError> {
        let (program, diagnostics) = Parser.parse(SourceFile(name: document.sourceName, text: document.text))
        if let first = diagnostics.first {
            return .failure(ResponseError(code: ResponseError.requestFailedCode,
                                          message: "cannot format a script with syntax errors; fix line \(first.span.line) first: \(first.fullMessage)"))
        }
        let formatted = Formatter.format(program)
        if formatted == document.text { return .success([]) }
        let whole = TextRange(start: Position(line: 0, character: 0), end: TextLines(document.text, encoding: encoding).end)
        return .success([["range": whole.json, "newText": .string(formatted)]])
    }
}
