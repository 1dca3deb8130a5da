// MARK: - Errors

/// Why an attack or an evaluation could not run, or why its result cannot be trusted.
/// Each message is one plain sentence naming the place and the fix.
public struct AttackError: Error, CustomStringConvertible, Equatable {
    /// Where the problem was found (`"pgd"`, `"evaluation"`, `"budget check"`).
    public let place: String
    /// What went wrong and how to fix it.
    public let message: String

    /// An error found in `place`.
    public init(_ place: String, _ message: String) {
        self.place = place
        self.message = message
    }

    /// `place: message`.
    public var description: String { "\(place): \(message)" }
}
