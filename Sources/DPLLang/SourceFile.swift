// MARK: - Source text and spans

/// A script's text together with the name diagnostics show for it.
public struct SourceFile: Sendable {
    /// The path or label shown in diagnostics (`analysis.dpl`, `<command line>`).
    public let name: String
    /// The full text of the script.
    public let text: String
    /// The UTF-8 bytes the lexer walks; columns count bytes from 1.
    public let bytes: [UInt8]
    /// The byte offset where each line starts, so showing the line of each of many
    /// diagnostics does not rescan the file from the top every time.
    private let lineStarts: [Int]
    /// The line number of the text's first line: 1 for a file; later for a statement read
    /// from standard input, so its diagnostics give the line of the input it came from.
    public let firstLine: Int

    /// Creates a source file from its text and display name; its lines are numbered from `firstLine`.
    public init(name: String, text: String, firstLine: Int = 1) {
        self.name = name
        self.text = text
        self.firstLine = firstLine
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { starts.append(index + 1) }
        self.lineStarts = starts
    }

    /// The text of the 1-based line `number`, without its line break; empty when out of range.
    public func line(_ number: Int) -> String {
        let index = number - firstLine
        guard index >= 0, index < lineStarts.count else { return "" }
        let start = lineStarts[index]
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// A place in a script: file name, 1-based line and column, and the length of the marked text.
///
/// The numbers are stored as 32-bit integers (clamped), which makes a span 32 bytes instead
/// of 48: every token and syntax-tree node has one, and a long script has tens of millions.
public struct SourceSpan: Sendable, Hashable, CustomStringConvertible {
    /// The display name of the file the span lies in.
    public var file: String
    private var storedLine: Int32
    private var storedColumn: Int32
    private var storedLength: Int32
    private var storedEndLine: Int32

    /// 1-based line number.
    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }
    /// 1-based column, counted in UTF-8 bytes.
    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }
    /// Number of bytes the span covers on its first line (at least 1 for the caret).
    public var length: Int {
        get { Int(storedLength) }
        set { storedLength = Int32(clamping: newValue) }
    }
    /// The line the span ends on; equals `line` for single-line spans.
    public var endLine: Int {
        get { Int(storedEndLine) }
        set { storedEndLine = Int32(clamping: newValue) }
    }

    /// Creates a span; `endLine` defaults to `line`. Numbers beyond 32 bits are clamped.
    public init(file: String, line: Int, column: Int, length: Int, endLine: Int? = nil) {
        self.file = file
        self.storedLine = Int32(clamping: line)
        self.storedColumn = Int32(clamping: column)
        self.storedLength = Int32(clamping: length)
        self.storedEndLine = Int32(clamping: endLine ?? line)
    }

    /// `file:line:col`, the form every diagnostic starts with.
    public var description: String { "\(file):\(line):\(column)" }

    /// The span from the start of `self` to the end line of `other`.
    public func through(_ other: SourceSpan) -> SourceSpan {
        var joined = self
        joined.endLine = max(endLine, other.endLine)
        if other.line == line { joined.length = max(length, other.column + other.length - column) }
        return joined
    }
}
