import Foundation

// MARK: - Documents the editor has open

/// A document as the editor last sent it; its text may differ from the file on disk.
public struct OpenDocument: Sendable {
    /// The URI the editor names it by.
    public let uri: String
    /// The editor's version number, echoed in published diagnostics.
    public var version: Int?
    /// The editor's text.
    public var text: String
    /// The name DPL gives the script: its absolute path for a `file:` URI, so imports resolve
    /// against its folder as in `dpl check`; `<uri>` otherwise (an unsaved buffer), which
    /// resolves imports against the server's current directory like `-e` does.
    public let sourceName: String

    public init(uri: String, version: Int?, text: String) {
        self.uri = uri
        self.version = version
        self.text = text
        self.sourceName = Self.path(fromURI: uri) ?? "<\(uri)>"
    }

    /// The file path of a `file:` URI (percent-escapes decoded), or nil.
    public static func path(fromURI uri: String) -> String? {
        guard let url = URL(string: uri), url.isFileURL, !url.path.isEmpty else { return nil }
        return url.standardizedFileURL.path
    }

    /// The `file:` URI of an absolute path.
    public static func uri(ofPath path: String) -> String {
        URL(fileURLWithPath: path).absoluteString
    }

    /// Applies one entry of `didChange`'s `contentChanges`: the whole new text, or a `range`
    /// and the text that replaces it. A range is clamped to the document, as the protocol asks.
    public mutating func apply(change: JSON, encoding: PositionEncoding) throws {
        guard let newText = change["text"]?.stringValue else {
            throw ResponseError.invalidParams("a content change has no `text`")
        }
        guard let rangeJSON = change["range"] else {
            text = newText
            return
        }
        guard let range = TextRange(rangeJSON) else {
            throw ResponseError.invalidParams("a content change's `range` is not {start, end} positions")
        }
        let lines = TextLines(text, encoding: encoding)
        let start = lines.offset(of: range.start), end = lines.offset(of: range.end)
        guard start <= end else { throw ResponseError.invalidParams("a content change's range ends before it starts") }
        text = String(decoding: lines.bytes[..<start] + Array(newText.utf8) + lines.bytes[end...], as: UTF8.self)
    }
}
