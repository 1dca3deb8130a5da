import Testing
@testable import DPLLanguageServer

/// The lifecycle and the answers to malformed or unexpected messages.
@Suite struct LanguageServerTests {
    @Test func initializeAnnouncesTheCapabilities() throws {
        let client = try TestClient()
        let result = client.initialize()["result"]
        let capabilities = result?["capabilities"]
        #expect(capabilities?["textDocumentSync"]?["change"] == 2)
        #expect(capabilities?["textDocumentSync"]?["openClose"] == true)
        #expect(capabilities?["hoverProvider"] == true)
        #expect(capabilities?["documentFormattingProvider"] == true)
        #expect(capabilities?["completionProvider"]?["triggerCharacters"] == ["="])
        #expect(capabilities?["positionEncoding"] == "utf-16")
        #expect(result?["serverInfo"]?["name"] == "dpl")
        #expect(client.server.state == .running)
    }

    @Test func negotiatesUTF8WhenTheClientOffersIt() throws {
        let client = try TestClient()
        let result = client.initialize(capabilities: ["general": ["positionEncodings": ["utf-16", "utf-8"]]])["result"]
        #expect(result?["capabilities"]?["positionEncoding"] == "utf-8")
        #expect(client.server.encoding == .utf8)
    }

    @Test func requestsBeforeInitializeAreRefusedAndNotificationsDropped() throws {
        let client = try TestClient()
        let response = client.request("textDocument/hover", ["textDocument": ["uri": "file:///x.dpl"], "position": TestClient.position(0, 0)])
        #expect(response["error"]?["code"]?.integerValue == ResponseError.serverNotInitializedCode)
        #expect(client.open("file:///x.dpl", "purfy\n").isEmpty)
        #expect(client.notify("textDocument/didOpen", ["textDocument": ["uri": "file:///x.dpl", "text": "purfy\n"]]).isEmpty)
        client.initialize()
        // The early didOpen was dropped, so the document is not open.
        let hover = client.request("textDocument/hover", ["textDocument": ["uri": "file:///x.dpl"], "position": TestClient.position(0, 0)])
        #expect(hover["error"]?["code"]?.integerValue == ResponseError.invalidParamsCode)
    }

    @Test func aSecondInitializeIsAnInvalidRequest() throws {
        let client = try TestClient()
        client.initialize()
        #expect(client.request("initialize", ["capabilities": [:]])["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
    }

    @Test func unknownMethodsAreMethodNotFoundForRequestsAndIgnoredForNotifications() throws {
        let client = try TestClient()
        client.initialize()
        let response = client.request("textDocument/definition", [:])
        #expect(response["error"]?["code"]?.integerValue == ResponseError.methodNotFoundCode)
        #expect(response["error"]?["message"]?.stringValue?.contains("textDocument/definition") == true)
        #expect(client.notify("$/cancelRequest", ["id": 1]).isEmpty)
        #expect(client.notify("workspace/somethingNew", [:]).isEmpty)
    }

    @Test func malformedMessagesGetErrorsAndTheServerCarriesOn() throws {
        let client = try TestClient()
        let notJSON = client.server.handle(body: Array("{\"jsonrpc\": \"2.0\", \"id\": 1, ".utf8))
        #expect(notJSON == [RPC.response(id: nil, error: ResponseError(code: ResponseError.parseErrorCode, message: "the message is not valid JSON"))])
        let batch = client.server.handle(body: Array("[]".utf8))
        #expect(batch.first?["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
        let badID = client.server.handle(["jsonrpc": "2.0", "id": ["x": 1], "method": "shutdown"])
        #expect(badID.first?["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
        #expect(badID.first?["id"] == JSON.null)
        let noVersion = client.server.handle(["id": 4, "method": "initialize", "params": [:]])
        #expect(noVersion.first?["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
        #expect(noVersion.first?["id"] == 4)
        let numericMethod = client.server.handle(["jsonrpc": "2.0", "id": 5, "method": 3])
        #expect(numericMethod.first?["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
        #expect(client.server.handle(["jsonrpc": "2.0", "id": 6, "result": nil]).isEmpty)
        #expect(client.server.handle(["jsonrpc": "2.0", "id": 7]).first?["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
        // Still alive and uninitialized: initialize works.
        #expect(client.initialize()["result"]?["capabilities"] != nil)
        #expect(client.server.state == .running)
    }

    @Test func missingOrMistypedParamsAreInvalidParams() throws {
        let client = try TestClient()
        client.initialize()
        _ = client.open("file:///tmp/p.dpl", "results\n")
        for params: JSON in [nil, [:], ["textDocument": ["uri": 5]], ["textDocument": ["uri": "file:///tmp/p.dpl"]],
                             ["textDocument": ["uri": "file:///tmp/p.dpl"], "position": ["line": -1, "character": 0]],
                             ["textDocument": ["uri": "file:///tmp/p.dpl"], "position": ["line": 0, "character": "0"]],
                             ["textDocument": ["uri": "file:///tmp/p.dpl"], "position": ["line": .integer(Int.max), "character": 0]],
                             ["textDocument": ["uri": "file:///tmp/p.dpl"], "position": ["line": 0, "character": .number(1e300)]]] {
            let response = client.request("textDocument/completion", params)
            #expect(response["error"]?["code"]?.integerValue == ResponseError.invalidParamsCode, "\(params.serialized)")
        }
        // A malformed notification is logged and ignored.
        #expect(client.notify("textDocument/didChange", ["textDocument": ["uri": "file:///nowhere.dpl"], "contentChanges": []]).isEmpty)
        #expect(client.log.lines.contains { $0.contains("didChange") })
    }

    @Test func aPositionBeyondTheDocumentIsClampedNotAnError() throws {
        let client = try TestClient()
        client.initialize()
        _ = client.open("file:///tmp/p.dpl", "results\n")
        let response = client.request("textDocument/completion", ["textDocument": ["uri": "file:///tmp/p.dpl"], "position": TestClient.position(500, 500)])
        #expect(response["result"]?["items"] != nil)
        let hover = client.request("textDocument/hover", ["textDocument": ["uri": "file:///tmp/p.dpl"], "position": TestClient.position(500, 500)])
        #expect(hover["result"] == .null)
    }

    @Test func shutdownThenExitEndsWithZero() throws {
        let client = try TestClient()
        client.initialize()
        #expect(client.request("shutdown") == ["jsonrpc": "2.0", "id": 2, "result": nil])
        #expect(client.server.exitCode == nil)
        // After shutdown only `exit` is accepted.
        #expect(client.request("textDocument/formatting", [:])["error"]?["code"]?.integerValue == ResponseError.invalidRequestCode)
        client.notify("exit")
        #expect(client.server.exitCode == 0)
    }

    @Test func exitWithoutShutdownEndsWithOne() throws {
        let client = try TestClient()
        client.initialize()
        client.notify("exit")
        #expect(client.server.exitCode == 1)
    }

    @Test func closingADocumentClearsItsDiagnostics() throws {
        let client = try TestClient()
        client.initialize()
        #expect(client.open("file:///tmp/c.dpl", "purfy\n").count == 1)
        let published = client.notify("textDocument/didClose", ["textDocument": ["uri": "file:///tmp/c.dpl"]])
        #expect(TestClient.diagnostics(in: published, for: "file:///tmp/c.dpl").isEmpty)
        #expect(published.contains { $0["params"]?["uri"] == "file:///tmp/c.dpl" })
    }
}
