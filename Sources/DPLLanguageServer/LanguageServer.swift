import DPLLang

// MARK: - The server

/// A language server for DPL scripts: it answers the messages of one client, in order, each
/// with the messages to send back. It never runs a script: diagnostics come from the checker
/// (`dpl check`), completion from the REPL's rules, hover from `dpl help`'s text and
/// formatting from `dpl fmt`'s formatter, all over the registry the server was given. Input
/// is untrusted (an editor's buffers, files it opened), so a malformed message gets an error
/// response or is ignored, and never stops the server.
public final class LanguageServer {
    /// Where the server is in the protocol's lifecycle.
    public enum State: Equatable {
        case waitingForInitialize, running, shutDown
    }

    public private(set) var state = State.waitingForInitialize
    /// Set by the `exit` notification: 0 after `shutdown`, 1 without (as the protocol says).
    public private(set) var exitCode: Int32?
    /// How positions count characters, as negotiated in `initialize`.
    public private(set) var encoding = PositionEncoding.utf16
    private var hoverMarkdown = false
    private var documents: [String: OpenDocument] = [:]
    /// The diagnostics last published per URI, so a document whose diagnostics an edit of
    /// another did not change is not republished.
    private var published: [String: [JSON]] = [:]

    private let registry: StageRegistry
    private let settings: SettingsRegistry
    private let fileSystem: SourceLoader
    private let log: (String) -> Void

    /// A server over `registry` and `settings` (the ones `dpl check` uses); `fileSystem` reads
    /// imported scripts that are not open in the editor; `log` receives lines for standard error.
    public init(registry: StageRegistry, settings: SettingsRegistry = .standard, fileSystem: SourceLoader = .fileSystem,
                log: @escaping (String) -> Void = { _ in }) {
        self.registry = registry
        self.settings = settings
        self.fileSystem = fileSystem
        self.log = log
    }

    // MARK: Messages

    /// The replies to one message body: a parse error for bytes that are not JSON.
    public func handle(body: [UInt8]) -> [JSON] {
        let message: JSON
        do {
            message = try JSON.parse(body)
        } catch {
            log("dpl lsp: a message of \(body.count) bytes is not valid JSON")
            return [RPC.response(id: .null, error: ResponseError(code: ResponseError.parseErrorCode,
                                                                  message: "the message is not valid JSON"))]
        }
        return handle(message)
    }

    /// The replies to one parsed message: a response for a request, published diagnostics
    /// for a document notification, nothing for other notifications.
    public func handle(_ message: JSON) -> [JSON] {
        guard case .object = message else {
            return [RPC.response(id: .null, error: ResponseError(code: ResponseError.invalidRequestCode,
                                                                  message: "a message must be a JSON object (batches are not part of the protocol)"))]
        }
        let id = message["id"]
        if let id {
            switch id {
            case .integer, .string: break
            default:
                return [RPC.response(id: .null, error: ResponseError(code: ResponseError.invalidRequestCode,
                                                                      message: "a request's `id` must be an integer or a string"))]
            }
        }
        guard message["jsonrpc"]?.stringValue == "2.0" else {
            guard let id else { log("dpl lsp: ignored a notification without \"jsonrpc\": \"2.0\""); return [] }
            return [RPC.response(id: id, error: ResponseError(code: ResponseError.invalidRequestCode,
                                                               message: "the message lacks \"jsonrpc\": \"2.0\""))]
        }
        guard let method = message["method"]?.stringValue else {
            let isResponse = message["method"] == nil && (message["result"] != nil || message["error"] != nil)
            // A response to a request of ours: the server sends none, so there is nothing to match.
            if isResponse { return [] }
            guard let id else { log("dpl lsp: ignored a notification without a string `method`"); return [] }
            return [RPC.response(id: id, error: ResponseError(code: ResponseError.invalidRequestCode,
                                                               message: "a request needs a string `method`"))]
        }
        let params = message["params"] ?? .null
        if let id { return [respond(to: method, id: id, params: params)] }
        return notify(method, params: params)
    }

    // MARK: Requests

    private func respond(to method: String, id: JSON, params: JSON) -> JSON {
        switch state {
        case .waitingForInitialize where method != "initialize":
            return RPC.response(id: id, error: ResponseError(code: ResponseError.serverNotInitializedCode,
                                                              message: "send `initialize` before `\(method)`"))
        case .running where method == "initialize":
            return RPC.response(id: id, error: ResponseError(code: ResponseError.invalidRequestCode,
                                                              message: "the server is already initialized"))
        case .shutDown:
            return RPC.response(id: id, error: ResponseError(code: ResponseError.invalidRequestCode,
                                                              message: "the server is shut down; only the `exit` notification is accepted"))
        default: break
        }
        let result: Result<JSON, ResponseError>
        switch method {
        case "initialize": result = .success(initialize(params))
        case "shutdown":
            state = .shutDown
            result = .success(.null)
        case "textDocument/completion":
            result = withDocument(params) { document, position in
                DocumentCompletion(registry: registry, settings: settings)
                    .completionList(for: document, at: position, encoding: encoding)
            }
        case "textDocument/hover":
            result = withDocument(params) { document, position in
                DocumentHover(registry: registry, settings: settings)
                    .hover(for: document, at: position, encoding: encoding, markdown: hoverMarkdown)
            }
        case "textDocument/formatting":
            result = document(params).flatMap { DocumentFormatting.edits(for: $0, encoding: encoding) }
        default:
            result = .failure(ResponseError(code: ResponseError.methodNotFoundCode, message: "`\(method)` is not a method this server offers"))
        }
        switch result {
        case .success(let value): return RPC.response(id: id, result: value)
        case .failure(let error): return RPC.response(id: id, error: error)
        }
    }

    private func initialize(_ params: JSON) -> JSON {
        state = .running
        let capabilities = params["capabilities"]
        // UTF-8 counts characters as DPL's own columns do; UTF-16 is the protocol's default.
        let offered = capabilities?["general"]?["positionEncodings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        encoding = offered.contains(PositionEncoding.utf8.rawValue) ? .utf8 : .utf16
        let formats = capabilities?["textDocument"]?["hover"]?["contentFormat"]?.arrayValue?.compactMap(\.stringValue) ?? []
        hoverMarkdown = formats.contains("markdown")
        return [
            "capabilities": [
                "positionEncoding": .string(encoding.rawValue),
                // 2: incremental changes.
                "textDocumentSync": ["openClose": true, "change": 2, "save": ["includeText": false]],
                "completionProvider": ["triggerCharacters": ["="]],
                "hoverProvider": true,
                "documentFormattingProvider": true,
            ],
            "serverInfo": ["name": "dpl", "version": .string(DPLVersion.current)],
        ]
    }

    /// The open document `params.textDocument.uri` names.
    private func document(_ params: JSON) -> Result<OpenDocument, ResponseError> {
        guard let uri = params["textDocument"]?["uri"]?.stringValue else {
            return .failure(.invalidParams("`textDocument.uri` is missing"))
        }
        guard let document = documents[uri] else {
            return .failure(.invalidParams("`\(uri)` is not open; send textDocument/didOpen first"))
        }
        return .success(document)
    }

    /// Runs `body` with the document and `params.position`.
    private func withDocument(_ params: JSON, _ body: (OpenDocument, Position) -> JSON) -> Result<JSON, ResponseError> {
        document(params).flatMap { document in
            guard let position = Position(params["position"]) else {
                return .failure(.invalidParams("`position` must be {line, character} with whole numbers ≥ 0"))
            }
            return .success(body(document, position))
        }
    }

    // MARK: Notifications

    private func notify(_ method: String, params: JSON) -> [JSON] {
        if method == "exit" {
            exitCode = state == .shutDown ? 0 : 1
            return []
        }
        // Before `initialize` and after `shutdown` notifications are dropped, as the protocol says.
        guard state == .running else { return [] }
        do {
            switch method {
            case "textDocument/didOpen":
                guard let item = params["textDocument"], let uri = item["uri"]?.stringValue, let text = item["text"]?.stringValue else {
                    throw ResponseError.invalidParams("didOpen needs textDocument.uri and textDocument.text")
                }
                documents[uri] = OpenDocument(uri: uri, version: item["version"]?.integerValue, text: text)
                return publishDiagnostics(changed: uri)
            case "textDocument/didChange":
                guard let uri = params["textDocument"]?["uri"]?.stringValue, var document = documents[uri] else {
                    throw ResponseError.invalidParams("didChange names a document that is not open")
                }
                guard let changes = params["contentChanges"]?.arrayValue else {
                    throw ResponseError.invalidParams("didChange needs contentChanges")
                }
                for change in changes { try document.apply(change: change, encoding: encoding) }
                document.version = params["textDocument"]?["version"]?.integerValue
                documents[uri] = document
                return publishDiagnostics(changed: uri)
            case "textDocument/didClose":
                guard let uri = params["textDocument"]?["uri"]?.stringValue else {
                    throw ResponseError.invalidParams("didClose needs textDocument.uri")
                }
                documents[uri] = nil
                // Its diagnostics go with it; an importer of it now reads it from disk.
                published[uri] = nil
                return [RPC.notification("textDocument/publishDiagnostics", params: ["uri": .string(uri), "diagnostics": []])]
                    + publishDiagnostics(changed: nil)
            case "textDocument/didSave", "workspace/didChangeWatchedFiles":
                // An imported script on disk may have changed.
                return publishDiagnostics(changed: nil)
            default:
                // `initialized`, `$/cancelRequest` (every request is answered at once), `$/setTrace`, …
                return []
            }
        } catch let error as ResponseError {
            log("dpl lsp: ignored \(method): \(error.message)")
        } catch {
            log("dpl lsp: ignored \(method): \(error)")
        }
        return []
    }

    /// Checks every open document (an edit of one may change what its importers see) and
    /// publishes the diagnostics of `changed` and of every other document whose changed.
    private func publishDiagnostics(changed: String?) -> [JSON] {
        let checker = DocumentDiagnostics(registry: registry, settings: settings, loader: loaderSeeingOpenDocuments())
        var messages: [JSON] = []
        for uri in documents.keys.sorted() {
            guard let document = documents[uri] else { continue }
            let diagnostics = checker.diagnostics(for: document, encoding: encoding)
            guard uri == changed || published[uri] != diagnostics else { continue }
            published[uri] = diagnostics
            var params: [String: JSON] = ["uri": .string(uri), "diagnostics": .array(diagnostics)]
            if let version = document.version { params["version"] = .integer(version) }
            messages.append(RPC.notification("textDocument/publishDiagnostics", params: .object(params)))
        }
        return messages
    }

    /// The file system as `dpl check` reads it, except that a script open in the editor is
    /// read as the editor holds it, so an import sees unsaved edits.
    private func loaderSeeingOpenDocuments() -> SourceLoader {
        let fileSystem = self.fileSystem
        var openTexts: [String: String] = [:]
        for document in documents.values where !document.sourceName.hasPrefix("<") {
            openTexts[fileSystem.canonicalPath(document.sourceName)] = document.text
        }
        return SourceLoader(currentDirectory: fileSystem.currentDirectory, canonicalPath: fileSystem.canonicalPath) { path in
            if let text = openTexts[fileSystem.canonicalPath(path)] { return text }
            return try fileSystem.read(path)
        }
    }
}
