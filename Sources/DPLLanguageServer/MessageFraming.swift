// MARK: - Base protocol framing

/// One unit read from the client's byte stream: a message body, or what went wrong with it.
public enum Frame: Equatable {
    /// The body of a message (its `Content-Length` bytes), not yet parsed as JSON.
    case message([UInt8])
    /// A message longer than the limit; its body was read and dropped so the next header is
    /// found, and the client gets an error instead of the server holding the bytes in memory.
    case tooLarge(length: Int, limit: Int)
    /// A header block the server cannot use (no `Content-Length`, a malformed or overlong
    /// header); it was dropped and reading continues after it.
    case malformedHeader(String)
    /// The client closed the stream.
    case endOfInput
}

/// Splits the byte stream of the LSP base protocol into messages: header lines
/// (`Content-Length: N`, optionally `Content-Type`) ended by an empty line, then N bytes.
/// Input is untrusted, so lengths are bounded and nothing is assumed of the headers' shape.
public final class MessageReader {
    /// Largest body accepted (64 MiB by default): a longer one is read past, not kept.
    public let maximumContentLength: Int
    /// Largest header block accepted, so a stream without a blank line cannot grow the buffer.
    public static let maximumHeaderLength = 8192

    /// Reads up to the given number of bytes; an empty result is the end of the stream.
    private let readChunk: (Int) -> [UInt8]
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` starts; consumed bytes are dropped in batches.
    private var start = 0
    private var ended = false

    /// A reader over `readChunk`, which returns at most the asked number of bytes and an
    /// empty array at the end of the stream.
    public init(maximumContentLength: Int = 64 << 20, readChunk: @escaping (Int) -> [UInt8]) {
        self.maximumContentLength = maximumContentLength
        self.readChunk = readChunk
    }

    /// The next frame.
    public func next() -> Frame {
        // Header lines up to the empty line.
        var contentLength: Int?
        var lengthTooLarge = false
        var problem: String?
        var headerBytes = 0
        while true {
            guard let line = readLine() else {
                if headerBytes == 0 || buffer.count - start == 0 { return .endOfInput }
                return .malformedHeader("the stream ended inside a header")
            }
            headerBytes += line.count + 1
            if headerBytes > Self.maximumHeaderLength {
                // Skip to the next blank line so one bad header costs one error, not many.
                while let more = readLine(), !more.isEmpty {}
                return .malformedHeader("the header is longer than \(Self.maximumHeaderLength) bytes")
            }
            if line.isEmpty {
                // Blank lines between messages carry nothing.
                if headerBytes == 1 { headerBytes = 0; continue }
                break
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else {
                problem = "the header line `\(text.prefix(80))` has no `:`"
                continue
            }
            let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard name == "content-length" else { continue }
            guard !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                problem = "`Content-Length: \(value.prefix(40))` is not a whole number of bytes"
                continue
            }
            if let length = Int(value) { contentLength = length } else { lengthTooLarge = true }
        }
        if let problem { return .malformedHeader(problem) }
        if lengthTooLarge { return skipBody(Int.max) }
        guard let contentLength else { return .malformedHeader("the header has no Content-Length") }
        if contentLength > maximumContentLength { return skipBody(contentLength) }
        guard let body = readBytes(contentLength) else { return .malformedHeader("the stream ended inside a message body") }
        return .message(body)
    }

    // MARK: Buffering

    /// One header line without its `\r\n` (or `\n`), or nil at the end of the stream.
    private func readLine() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = Array(buffer[start..<end])
                consume(newline + 1 - start)
                return line
            }
            // A line longer than any header is cut here; the caller's length check rejects it.
            if buffer.count - start > Self.maximumHeaderLength {
                let line = Array(buffer[start...])
                consume(buffer.count - start)
                return line
            }
            if !fill() { return nil }
        }
    }

    /// Exactly `count` bytes, or nil when the stream ends first.
    private func readBytes(_ count: Int) -> [UInt8]? {
        while buffer.count - start < count {
            if !fill() { return nil }
        }
        let bytes = Array(buffer[start..<(start + count)])
        consume(count)
        return bytes
    }

    /// Reads and drops a body of `count` bytes (to the end of the stream at most).
    private func skipBody(_ count: Int) -> Frame {
        var remaining = count
        while remaining > 0 {
            if buffer.count - start == 0, !fill() { break }
            let taken = min(remaining, buffer.count - start)
            consume(taken)
            remaining -= taken
        }
        return .tooLarge(length: count, limit: maximumContentLength)
    }

    /// Appends one chunk; false at the end of the stream.
    private func fill() -> Bool {
        if ended { return false }
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk = readChunk(65536)
        if chunk.isEmpty {
            ended = true
            return false
        }
        buffer += chunk
        return true
    }

    private func consume(_ count: Int) {
        start += count
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
    }
}

/// A message as the base protocol sends it: the header, a blank line and the JSON body.
public func framedMessage(_ message: JSON) -> [UInt8] {
    let body = Array(message.serialized.utf8)
    return Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
}
