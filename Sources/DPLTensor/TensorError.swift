/// An error raised by a tensor operation: a shape that does not fit, an index out of range,
/// or a value outside an op's domain. The message is one plain sentence naming the op and
/// every shape involved, so a user sees what went wrong without a stack trace.
public struct TensorError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation that failed, e.g. `matmul`.
    public let op: String
    /// What went wrong, e.g. `inner dimensions differ: [2, 3] and [4, 5]`.
    public let message: String

    public init(_ op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }
}

/// Formats a shape the way error messages show it: `[64, 1, 28, 28]`.
@inlinable
public func shapeString(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
