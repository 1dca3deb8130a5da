import Testing
@testable import DPLLanguageServer

@Suite struct MessageFramingTests {
    /// A reader over `bytes`, handed out `chunk` bytes at a time (so headers and bodies split
    /// across reads are exercised).
    static func reader(_ bytes: [UInt8], chunk: Int = 7, limit: Int = 64 << 20) -> MessageReader {
        var offset = 0
        return MessageReader(maximumContentLength: limit) { wanted in
            let end = min(bytes.count, offset + min(wanted, chunk))
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
    }

    static func frame(_ body: String, headers: String? = nil) -> [UInt8] {
        Array((headers ?? "Content-Length: \(body.utf8.count)\r\n\r\n").utf8) + Array(body.utf8)
    }

    @Test func readsConsecutiveMessagesSplitAcrossReads() {
        let bytes = Self.frame(#"{"a":1}"#) + Self.frame(#"{"b":"é🎉"}"#, headers: "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 14\r\n\r\n")
        let reader = Self.reader(bytes)
        #expect(reader.next() == .message(Array(#"{"a":1}"#.utf8)))
        #expect(reader.next() == .message(Array(#"{"b":"é🎉"}"#.utf8)))
        #expect(reader.next() == .endOfInput)
        #expect(reader.next() == .endOfInput)
    }

    @Test func framesWhatItWritesSoItReadsBack() {
        let message: JSON = ["jsonrpc": "2.0", "id": 1, "result": ["text": "ü\r\n"]]
        let framed = framedMessage(message)
        #expect(String(decoding: framed, as: UTF8.self) == "Content-Length: \(message.serialized.utf8.count)\r\n\r\n" + message.serialized)
        #expect(Self.reader(framed + framed).next() == .message(Array(message.serialized.utf8)))
    }

    @Test func skipsABodyOverTheLimitAndReadsTheNextMessage() {
        let big = String(repeating: "x", count: 5000)
        let reader = Self.reader(Self.frame(big) + Self.frame("{}"), chunk: 1000, limit: 4096)
        #expect(reader.next() == .tooLarge(length: 5000, limit: 4096))
        #expect(reader.next() == .message(Array("{}".utf8)))
    }

    @Test func aLengthBeyondAnyIntegerIsTooLargeNotACrash() {
        let reader = Self.reader(Array("Content-Length: 99999999999999999999999\r\n\r\n{}".utf8))
        #expect(reader.next() == .tooLarge(length: Int.max, limit: 64 << 20))
        #expect(reader.next() == .endOfInput)
    }

    @Test func reportsMalformedHeadersAndRecovers() {
        let cases: [(String, String)] = [
            ("Content-Type: x\r\n\r\n", "no Content-Length"),
            ("Content-Length: -4\r\n\r\n", "not a whole number"),
            ("Content-Length: 0x10\r\n\r\n", "not a whole number"),
            ("garbage\r\n\r\n", "has no `:`"),
        ]
        for (header, problem) in cases {
            let reader = Self.reader(Array(header.utf8) + Self.frame("{}"))
            guard case .malformedHeader(let text) = reader.next() else {
                Issue.record("\(header) was accepted")
                continue
            }
            #expect(text.contains(problem), "\(text)")
            #expect(reader.next() == .message(Array("{}".utf8)), "no recovery after \(header)")
        }
    }

    @Test func anEndlessHeaderIsBoundedAndRefused() {
        let reader = Self.reader(Array(String(repeating: "A", count: 100_000).utf8) + Array("\r\n\r\n".utf8) + Self.frame("{}"), chunk: 4096)
        guard case .malformedHeader(let text) = reader.next() else {
            Issue.record("an endless header was accepted")
            return
        }
        #expect(text.contains("longer than"))
        #expect(reader.next() == .message(Array("{}".utf8)))
    }

    @Test func aStreamEndingInsideABodyIsReported() {
        let reader = Self.reader(Array("Content-Length: 10\r\n\r\n{}".utf8))
        guard case .malformedHeader(let text) = reader.next() else {
            Issue.record("a cut body was accepted")
            return
        }
        #expect(text.contains("ended inside a message body"))
        #expect(reader.next() == .endOfInput)
    }

    @Test func acceptsBareLineFeedsAndBlankLinesBetweenMessages() {
        let reader = Self.reader(Array("\r\nContent-Length: 2\n\n{}".utf8))
        #expect(reader.next() == .message(Array("{}".utf8)))
    }
}
