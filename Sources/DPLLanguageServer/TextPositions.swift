// MARK: - Positions in a document

/// How the client counts characters in a line: UTF-16 code units (the protocol's default)
/// or UTF-8 bytes (DPL's own columns), negotiated in `initialize`.
public enum PositionEncoding: String, Sendable {
    case utf16 = "utf-16"
    case utf8 = "utf-8"
}

/// A place in a document as the protocol gives it: 0-based line and character.
public struct Position: Equatable, Sendable {
    public var line: Int
    public var character: Int

    public init(line: Int, character: Int) {
        self.line = line
        self.character = character
    }

    /// The largest line or character the protocol sends (its `uinteger`), so arithmetic on
    /// a position from a client cannot overflow.
    public static let maximum = Int(Int32.max)

    /// `{"line":…,"character":…}`, or nil when either is missing or outside 0…2³¹−1.
    public init?(_ json: JSON?) {
        guard let line = json?["line"]?.integerValue, let character = json?["character"]?.integerValue,
              (0...Self.maximum).contains(line), (0...Self.maximum).contains(character) else { return nil }
        self.init(line: line, character: character)
    }

    public var json: JSON { ["line": .integer(line), "character": .integer(character)] }
}

/// A range of a document: from `start` up to (not including) `end`.
public struct TextRange: Equatable, Sendable {
    public var start: Position
    public var end: Position

    public init(start: Position, end: Position) {
        self.start = start
        self.end = end
    }

    /// `{"start":…,"end":…}`, or nil when malformed.
    public init?(_ json: JSON?) {
        guard let start = Position(json?["start"]), let end = Position(json?["end"]) else { return nil }
        self.init(start: start, end: end)
    }

    public var json: JSON { ["start": start.json, "end": end.json] }
}

/// A document's text split into lines, converting between the protocol's positions and
/// DPL's spans (1-based lines, columns counted in UTF-8 bytes from 1). A line is ended by
/// `\n`; a `\r` before it belongs to the break, not to the line.
public struct TextLines {
    /// The document's UTF-8 bytes.
    public let bytes: [UInt8]
    private let lineStarts: [Int]
    /// How positions count characters.
    public let encoding: PositionEncoding

    public init(_ text: String, encoding: PositionEncoding) {
        bytes = Array(text.utf8)
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { starts.append(index + 1) }
        lineStarts = starts
        self.encoding = encoding
    }

    /// How many lines the text has (a final line break starts an empty last line).
    public var lineCount: Int { lineStarts.count }

    /// The bytes of 0-based line `index` without its line break; empty beyond the text.
    public func line(_ index: Int) -> ArraySlice<UInt8> {
        guard index >= 0, index < lineStarts.count else { return [] }
        let start = lineStarts[index]
        var end = index + 1 < lineStarts.count ? lineStarts[index + 1] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return bytes[start..<end]
    }

    /// The byte offset in the text of `position`; a character past the line's end means
    /// the end of the line and a line past the text's end means the end of the text, as the
    /// protocol asks.
    public func offset(of position: Position) -> Int {
        guard position.line < lineStarts.count else { return bytes.count }
        let line = self.line(position.line)
        return line.startIndex + byteColumn(ofCharacter: position.character, in: line)
    }

    /// The byte count, within `line`, of the first `character` characters.
    public func byteColumn(ofCharacter character: Int, in line: ArraySlice<UInt8>) -> Int {
        switch encoding {
        case .utf8: return min(character, line.count)
        case .utf16:
            var units = 0, bytesSoFar = 0
            for scalar in String(decoding: line, as: UTF8.self).unicodeScalars {
                if units >= character { break }
                units += scalar.utf16.count
                bytesSoFar += scalar.utf8.count
            }
            return min(bytesSoFar, line.count)
        }
    }

    /// The character count of the first `byteColumn` bytes of 0-based line `index`.
    public func character(ofByteColumn byteColumn: Int, inLine index: Int) -> Int {
        let line = self.line(index)
        let prefix = line.prefix(max(0, byteColumn))
        switch encoding {
        case .utf8: return prefix.count
        case .utf16: return String(decoding: prefix, as: UTF8.self).utf16.count
        }
    }

    /// The protocol position of DPL's 1-based `line` and 1-based byte `column`.
    public func position(line: Int, column: Int) -> Position {
        let index = max(0, line - 1)
        return Position(line: index, character: character(ofByteColumn: column - 1, inLine: index))
    }

    /// The range a DPL span marks: its first line from its column, `length` bytes long
    /// (cut at the end of the line).
    public func range(line: Int, column: Int, length: Int) -> TextRange {
        let index = max(0, line - 1)
        let lineLength = self.line(index).count
        let startColumn = min(max(0, column - 1), lineLength)
        let endColumn = min(startColumn + max(0, length), lineLength)
        return TextRange(start: Position(line: index, character: character(ofByteColumn: startColumn, inLine: index)),
                         end: Position(line: index, character: character(ofByteColumn: endColumn, inLine: index)))
    }

    /// The position just after the last character.
    public var end: Position {
        let last = lineStarts.count - 1
        let lastLine = bytes[lineStarts[last]...]
        switch encoding {
        case .utf8: return Position(line: last, character: lastLine.count)
        case .utf16: return Position(line: last, character: String(decoding: lastLine, as: UTF8.self).utf16.count)
        }
    }

    /// The text of 0-based line `index` up to `character`, as a string.
    public func prefix(ofLine index: Int, upTo character: Int) -> String {
        let line = self.line(index)
        return String(decoding: line.prefix(byteColumn(ofCharacter: character, in: line)), as: UTF8.self)
    }
}
