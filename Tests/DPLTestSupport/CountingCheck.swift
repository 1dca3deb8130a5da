/// The error a `CountingCheck` throws, standing in for a user's Ctrl-C.
public struct Stop: Error {
    public init() {}
}

/// A cancellation check that counts its calls and throws `Stop` from call `limit` on: tests of
/// the engine's `checkCancellation` parameters use it to see how soon work stops.
public final class CountingCheck {
    public let limit: Int
    public private(set) var calls = 0

    public init(throwingFromCall limit: Int) { self.limit = limit }

    public func check() throws {
        calls += 1
        if calls >= limit { throw Stop() }
    }
}
