import DPLLang
import DPLRuntime
import Foundation
@testable import DPLLanguageServer

/// Drives a `LanguageServer` in-process as an editor would: numbered requests, notifications,
/// and the messages each produced.
final class TestClient {
    let server: LanguageServer
    private var nextID = 1
    /// What the server logged (to standard error in `dpl lsp`).
    let log = LogLines()

    final class LogLines {
        var lines: [String] = []
    }

    /// A client of a server over DPL's built-in stages (what `dpl lsp` serves).
    init(fileSystem: SourceLoader = .fileSystem) throws {
        let registry = try BuiltinStages.makeRegistry()
        let log = self.log
        server = LanguageServer(registry: registry, fileSystem: fileSystem, log: { log.lines.append($0) })
    }

    /// Sends a request; the response (the server answers every request at once).
    func request(_ method: String, _ params: JSON = .null) -> JSON {
        let id = nextID
        nextID += 1
        let replies = server.handle(["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": params])
        return replies.first { $0["id"] == .integer(id) } ?? .null
    }

    /// Sends a notification; what the server sent back.
    @discardableResult
    func notify(_ method: String, _ params: JSON = .null) -> [JSON] {
        server.handle(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    /// `initialize` (with the given client capabilities) and `initialized`; the result.
    @discardableResult
    func initialize(capabilities: JSON = [:]) -> JSON {
        let result = request("initialize", ["processId": .null, "rootUri": .null, "capabilities": capabilities])
        notify("initialized", [:])
        return result
    }

    /// Opens `text` as `uri`; the diagnostics published for it.
    func open(_ uri: String, _ text: String, version: Int = 1) -> [JSON] {
        let published = notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "dpl",
                                                                          "version": .integer(version), "text": .string(text)]])
        return Self.diagnostics(in: published, for: uri)
    }

    /// The diagnostics published for `uri` among `messages`, or [] when none were.
    static func diagnostics(in messages: [JSON], for uri: String) -> [JSON] {
        let published = messages.last { message in
            message["method"] == "textDocument/publishDiagnostics" && message["params"]?["uri"]?.stringValue == uri
        }
        return published?["params"]?["diagnostics"]?.arrayValue ?? []
    }

    static func position(_ line: Int, _ character: Int) -> JSON {
        ["line": .integer(line), "character": .integer(character)]
    }

    static func range(_ json: JSON?) -> [Int] {
        [json?["start"]?["line"], json?["start"]?["character"], json?["end"]?["line"], json?["end"]?["character"]]
            .map { $0?.integerValue ?? -1 }
    }
}

/// A fresh folder under the temporary directory, removed by the caller.
func makeTemporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dpl-lsp-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}
