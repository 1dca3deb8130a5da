import Testing
@testable import DPLLanguageServer

/// The loop over a byte stream, in-process: framing in, framing out, the exit status.
@Suite struct ServerLoopTests {
    /// Serves `input` to a fresh server; the exit status and every message written back.
    static func serve(_ input: [UInt8], limit: Int = 64 << 20) throws -> (status: Int32, replies: [JSON]) {
        let client = try TestClient()
        var offset = 0
        var written: [UInt8] = []
        let status = ServerLoop.serve(client.server, maximumContentLength: limit, readChunk: { wanted in
            let end = min(input.count, offset + min(wanted, 13))
            defer { offset = end }
            return Array(input[offset..<end])
        }, write: { written += $0; return true })
        var replies: [JSON] = []
        let reader = MessageReader { wanted in
            let chunk = Array(written.prefix(wanted))
            written.removeFirst(chunk.count)
            return chunk
        }
        while case .message(let body) = reader.next() { replies.append(try JSON.parse(body)) }
        return (status, replies)
    }

    static func message(_ json: JSON) -> [UInt8] { framedMessage(json) }

    static let initialize = message(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["capabilities": [:]]])
    static let shutdown = message(["jsonrpc": "2.0", "id": 2, "method": "shutdown"])
    static let exit = message(["jsonrpc": "2.0", "method": "exit"])

    @Test func shutdownAndExitEndWithZeroAndNothingAfterExitIsRead() throws {
        let (status, replies) = try Self.serve(Self.initialize + Self.shutdown + Self.exit + Self.initialize)
        #expect(status == 0)
        #expect(replies.map { $0["id"] } == [1, 2])
    }

    @Test func exitWithoutShutdownEndsWithOne() throws {
        #expect(try Self.serve(Self.initialize + Self.exit).status == 1)
    }

    @Test func theStreamEndingWithoutExitEndsWithOneUnlessShutDown() throws {
        #expect(try Self.serve(Self.initialize).status == 1)
        #expect(try Self.serve(Self.initialize + Self.shutdown).status == 0)
    }

    @Test func anOversizedMessageGetsAnErrorAndTheServerCarriesOn() throws {
        let big = Array("Content-Length: 5000\r\n\r\n".utf8) + [UInt8](repeating: 0x20, count: 5000)
        let (status, replies) = try Self.serve(big + Self.initialize + Self.shutdown + Self.exit, limit: 4096)
        #expect(status == 0)
        #expect(replies.count == 3)
        #expect(replies[0]["id"] == JSON.null)
        #expect(replies[0]["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
        #expect(replies[0]["error"]?["message"]?.stringValue?.contains("5000 bytes") == true)
        #expect(replies[1]["result"]?["capabilities"] != nil)
    }

    @Test func garbageGetsErrorsAndTheServerCarriesOn() throws {
        let notJSON = Array("Content-Length: 5\r\n\r\n{oops".utf8)
        let noLength = Array("X-Header: 1\r\n\r\n".utf8)
        let (status, replies) = try Self.serve(notJSON + noLength + Self.initialize + Self.shutdown + Self.exit)
        #expect(status == 0)
        #expect(replies.prefix(2).map { $0["error"]?["code"]?.integerValue } == [ResponseError.parseErrorCode, ResponseError.parseErrorCode])
        #expect(replies.dropFirst(2).map { $0["id"] } == [1, 2])
    }
}
