// MARK: - JSON-RPC 2.0 messages

/// An error a request is answered with: a JSON-RPC or LSP error code and a sentence.
public struct ResponseError: Error, Equatable, Sendable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    // JSON-RPC 2.0's codes, and the LSP's own.
    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    public static let serverNotInitializedCode = -32002
    public static let requestFailedCode = -32803

    public static func invalidParams(_ message: String) -> ResponseError {
        ResponseError(code: invalidParamsCode, message: message)
    }

    public var json: JSON { ["code": .integer(code), "message": .string(message)] }
}

/// Builds the messages the server sends.
public enum RPC {
    /// A successful response to the request `id`.
    public static func response(id: JSON, result: JSON) -> JSON {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    /// An error response to the request `id` (`null` when the request's id is unknown).
    public static func response(id: JSON, error: ResponseError) -> JSON {
        ["jsonrpc": "2.0", "id": id, "error": error.json]
    }

    /// A notification from the server.
    public static func notification(_ method: String, params: JSON) -> JSON {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }
}
