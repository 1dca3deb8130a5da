import Foundation
import Testing
@testable import DPLLanguageServer

/// `dpl lsp` as an editor runs it: a separate process spoken to over pipes, one real exchange
/// from `initialize` to `exit`.
@Suite(.serialized) struct LanguageServerExecutableTests {
    /// `dpl` beside the running test bundle (built with the tests: `swift build --build-tests`).
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dpl").path
    }

    /// The client side of a running `dpl lsp`: framed messages out, and frames read on a
    /// thread so a server that stops answering fails the test instead of hanging it.
    final class Connection {
        let process = Process()
        private let input = Pipe(), output = Pipe(), errors = Pipe()
        private let condition = NSCondition()
        private var received: [JSON] = []
        private var ended = false
        private var nextID = 1

        init(currentDirectory: URL) throws {
            process.executableURL = URL(fileURLWithPath: LanguageServerExecutableTests.executable)
            process.arguments = ["lsp"]
            process.currentDirectoryURL = currentDirectory
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let handle = output.fileHandleForReading
            Thread.detachNewThread { [self] in
                let reader = MessageReader { wanted in ServerLoop.readBytes(from: handle.fileDescriptor, count: wanted) }
                while case .message(let body) = reader.next() {
                    let message = try? JSON.parse(body)
                    condition.lock()
                    if let message { received.append(message) }
                    condition.broadcast()
                    condition.unlock()
                }
                condition.lock()
                ended = true
                condition.broadcast()
                condition.unlock()
            }
        }

        func send(_ bytes: [UInt8]) { input.fileHandleForWriting.write(Data(bytes)) }

        func send(_ message: JSON) { send(framedMessage(message)) }

        /// Sends a request and waits for its response.
        func request(_ method: String, _ params: JSON = .null) -> JSON? {
            let id = nextID
            nextID += 1
            send(["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": params])
            return waitFor { $0["id"] == .integer(id) }
        }

        func notify(_ method: String, _ params: JSON = .null) {
            send(["jsonrpc": "2.0", "method": .string(method), "params": params])
        }

        /// The first message received that matches, waiting up to 20 s; it is taken off the list.
        func waitFor(_ matches: (JSON) -> Bool) -> JSON? {
            let deadline = Date().addingTimeInterval(20)
            condition.lock()
            defer { condition.unlock() }
            while true {
                if let index = received.firstIndex(where: matches) { return received.remove(at: index) }
                if ended || !condition.wait(until: deadline) { return nil }
            }
        }

        /// Closes standard input and waits up to 20 s for the exit status.
        func finish() -> Int32? {
            try? input.fileHandleForWriting.close()
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { process.terminate(); return nil }
            return process.terminationStatus
        }

        var standardError: String { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }

    @Test func aFullExchangeFromInitializeToExit() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let uri = folder.appendingPathComponent("run.dpl").absoluteString
        let connection = try Connection(currentDirectory: folder)
        defer { if connection.process.isRunning { connection.process.terminate() } }

        let initialized = try #require(connection.request("initialize", ["processId": .null, "rootUri": .string(folder.absoluteString),
                                                                          "capabilities": [:]]))
        #expect(initialized["result"]?["capabilities"]?["hoverProvider"] == true)
        connection.notify("initialized", [:])

        let text = "let note = \"ü🎉\"; load fashion-mnist n=16 | purfy t=100 | classify\nload fashion-mnist   n=16 | purify sampler=d\n"
        connection.notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "dpl", "version": 1, "text": .string(text)]])
        let published = try #require(connection.waitFor { $0["method"] == "textDocument/publishDiagnostics" })
        let diagnostics = published["params"]?["diagnostics"]?.arrayValue ?? []
        #expect(published["params"]?["uri"]?.stringValue == uri)
        #expect(diagnostics.count == 2, "\(diagnostics)")
        #expect(TestClient.range(diagnostics.first?["range"]) == [0, 44, 0, 49])
        #expect(diagnostics.first?["message"]?.stringValue?.contains("did you mean `purify`?") == true)

        let completion = try #require(connection.request("textDocument/completion", [
            "textDocument": ["uri": .string(uri)], "position": TestClient.position(1, 44)]))
        let labels = completion["result"]?["items"]?.arrayValue?.compactMap { $0["label"]?.stringValue }
        #expect(labels == ["sampler=ddim", "sampler=ddpm"])

        let hover = try #require(connection.request("textDocument/hover", [
            "textDocument": ["uri": .string(uri)], "position": TestClient.position(1, 30)]))
        #expect(hover["result"]?["contents"]?["value"]?.stringValue?.hasPrefix("purify ") == true)

        // Fix both errors by full-text change, then format.
        let fixed = "load fashion-mnist   n=16 | purify t=100 | classify\n"
        connection.notify("textDocument/didChange", ["textDocument": ["uri": .string(uri), "version": 2], "contentChanges": [["text": .string(fixed)]]])
        let republished = try #require(connection.waitFor { $0["method"] == "textDocument/publishDiagnostics" })
        #expect(republished["params"]?["diagnostics"] == [])
        #expect(republished["params"]?["version"] == 2)
        let formatting = try #require(connection.request("textDocument/formatting", [
            "textDocument": ["uri": .string(uri)], "options": ["tabSize": 2, "insertSpaces": true]]))
        #expect(formatting["result"]?.arrayValue?.first?["newText"] == "load fashion-mnist n=16 | purify t=100 | classify\n")

        // An oversized message is refused and the server stays up.
        connection.send(Array("Content-Length: \((64 << 20) + 1)\r\n\r\n".utf8) + [UInt8](repeating: 0x20, count: (64 << 20) + 1))
        let refused = try #require(connection.waitFor { $0["id"] == JSON.null })
        #expect(refused["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)

        let shutdown = try #require(connection.request("shutdown"))
        #expect(shutdown["result"] == JSON.null)
        #expect(shutdown["error"] == nil)
        connection.notify("exit")
        #expect(connection.finish() == 0)
        #expect(connection.standardError.contains("skipped a message"))
        // Nothing was written next to the script.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func exitWithoutShutdownExitsWithOne() throws {
        let connection = try Connection(currentDirectory: FileManager.default.temporaryDirectory)
        defer { if connection.process.isRunning { connection.process.terminate() } }
        #expect(connection.request("initialize", ["capabilities": [:]])?["result"] != nil)
        connection.notify("exit")
        #expect(connection.finish() == 1)
    }

    @Test func helpDescribesTheCommand() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["help", "lsp"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("USAGE: dpl lsp"))
        #expect(text.contains("Language Server Protocol"))
    }
}
