// MARK: - Errors

/// An error from the diffusion engine: an invalid schedule, sampler setting or purification
/// request. The message is one plain sentence naming the place and the fix.
public struct DiffusionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where it went wrong, e.g. `purify` or `ddim sampler`.
    public let place: String
    /// What went wrong and how to fix it.
    public let message: String

    /// An error at `place` saying `message`.
    public init(_ place: String, _ message: String) {
        self.place = place
        self.message = message
    }

    /// `place: message`.
    public var description: String { "\(place): \(message)" }
}
