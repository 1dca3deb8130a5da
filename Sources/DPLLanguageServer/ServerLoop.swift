#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Serving a client over a byte stream

/// Reads framed messages, hands each to the server and writes its replies, until the client
/// sends `exit` or closes the stream. One message at a time, in order: each check is fast,
/// and answering in order keeps every exchange deterministic.
public enum ServerLoop {
    /// Serves `server` over `readChunk` (up to n bytes; empty at the end) and `write` (false
    /// when the client is gone) and returns the exit status: the `exit` notification's, or at
    /// the end of the stream 0 after `shutdown` and 1 before.
    public static func serve(_ server: LanguageServer, maximumContentLength: Int = 64 << 20,
                             readChunk: @escaping (Int) -> [UInt8], write: ([UInt8]) -> Bool,
                             log: (String) -> Void = { _ in }) -> Int32 {
        let reader = MessageReader(maximumContentLength: maximumContentLength, readChunk: readChunk)
        while true {
            let replies: [JSON]
            switch reader.next() {
            case .message(let body):
                replies = server.handle(body: body)
            case .tooLarge(let length, let limit):
                let size = length == Int.max ? "more than \(limit) bytes" : "\(length) bytes"
                log("dpl lsp: skipped a message of \(size); the limit is \(limit) bytes")
                replies = [RPC.response(id: .null, error: ResponseError(
                    code: ResponseError.invalidRequestCode,
                    message: "the message of \(size) is larger than the \(limit >> 20) MiB this server accepts; it was skipped"))]
            case .malformedHeader(let problem):
                log("dpl lsp: skipped a message: \(problem)")
                replies = [RPC.response(id: .null, error: ResponseError(
                    code: ResponseError.parseErrorCode, message: "unreadable message header: \(problem); it was skipped"))]
            case .endOfInput:
                if let code = server.exitCode { return code }
                if server.state != .shutDown { log("dpl lsp: the client closed the connection without `shutdown` and `exit`") }
                return server.state == .shutDown ? 0 : 1
            }
            for reply in replies where !write(framedMessage(reply)) {
                log("dpl lsp: cannot write to the client; stopping")
                return 1
            }
            if let code = server.exitCode { return code }
        }
    }

    /// Serves over file descriptors (standard input and output for `dpl lsp`).
    public static func serve(_ server: LanguageServer, input: Int32, output: Int32,
                             log: @escaping (String) -> Void) -> Int32 {
        serve(server, readChunk: { count in readBytes(from: input, count: count) },
              write: { bytes in writeAll(bytes, to: output) }, log: log)
    }

    /// Up to `count` bytes from `descriptor`; empty at the end or on an error.
    static func readBytes(from descriptor: Int32, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        while true {
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, count) }
            if got < 0, errno == EINTR { continue }
            if got <= 0 { return [] }
            return Array(bytes.prefix(got))
        }
    }

    /// Writes all of `bytes`; false when the descriptor fails (the client went away).
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let wrote = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + offset }, bytes.count - offset)
            }
            if wrote < 0, errno == EINTR { continue }
            if wrote <= 0 { return false }
            offset += wrote
        }
        return true
    }
}
