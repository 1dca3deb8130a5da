// MARK: - Diagnostics

/// One problem in a script: where it is, one plain sentence saying what is wrong,
/// and, where one is likely, the fix.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is.
    public var span: SourceSpan
    /// One sentence, lower-case start, no trailing period; names use backticks.
    public var message: String
    /// A likely fix such as "did you mean `purify`?", shown after the message.
    public var fix: String?

    /// Creates a diagnostic.
    public init(_ message: String, at span: SourceSpan, fix: String? = nil) {
        self.message = message
        self.span = span
        self.fix = fix
    }

    /// The message with its fix, as one line: "unknown stage `purfy`; did you mean `purify`?".
    public var fullMessage: String {
        guard let fix else { return message }
        return "\(message); \(fix)"
    }

    /// `file:line:col message`, the form golden tests compare.
    public var description: String { "\(span) \(fullMessage)" }

    /// The diagnostic as a terminal shows it: location, sentence, the source line and a caret.
    ///
    ///     demo.dpl:3:14: error: unknown stage `purfy`; did you mean `purify`?
    ///       attack pgd | purfy t=100
    ///                    ^~~~~
    public func rendered(in source: SourceFile?) -> String {
        var text = "\(span): error: \(fullMessage)"
        guard let source, source.name == span.file else { return text }
        let line = source.line(span.line)
        guard !line.isEmpty else { return text }
        let lineBytes = Array(line.utf8)
        let caretColumn = min(span.column, lineBytes.count + 1)
        // Tabs in the prefix are kept so the caret lines up in any tab width.
        let prefix = lineBytes.prefix(caretColumn - 1).map { $0 == UInt8(ascii: "\t") ? "\t" : " " }.joined()
        let width = max(1, min(span.length, lineBytes.count - caretColumn + 1))
        text += "\n  \(line)\n  \(prefix)^" + String(repeating: "~", count: width - 1)
        return text
    }
}

/// The diagnostics of one check or run, plus the sources needed to show their lines.
public struct DiagnosticReport: Error, Sendable {
    /// The problems, in the order they were found.
    public var diagnostics: [Diagnostic]
    /// Every source file read, keyed by its display name, to print the offending lines.
    public var sources: [String: SourceFile]

    /// Creates a report.
    public init(diagnostics: [Diagnostic], sources: [String: SourceFile]) {
        self.diagnostics = diagnostics
        self.sources = sources
    }

    /// All diagnostics rendered with source lines and carets, separated by blank lines.
    public var rendered: String {
        diagnostics.map { $0.rendered(in: sources[$0.span.file]) }.joined(separator: "\n")
    }
}

// MARK: - Suggestions

/// Finds the candidate closest to a misspelled word, for "did you mean …?" fixes.
public enum Suggestion {
    /// The closest candidate within a distance proportional to the word's length, or nil.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = max(1, min(3, word.count / 3 + 1))
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(word.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// "did you mean `x`?" for the closest candidate, or nil.
    public static func didYouMean(_ word: String, among candidates: [String]) -> String? {
        closest(to: word, among: candidates).map { "did you mean `\($0)`?" }
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit
    /// (`pruify` is one slip from `purify`).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
