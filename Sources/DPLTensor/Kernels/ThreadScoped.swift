import Foundation

// MARK: - A value installed on the current thread for the length of a block

/// An object a block installs on its own thread, seen by the code that block runs on that
/// thread and by no other: how a model's FLOPs are counted (`FlopCounter`) and how a progress
/// line hears a purification's steps (`PurificationActivity`) without a parameter threaded
/// through every layer. A model or a defense runs on the thread that calls it (the engine's
/// workers only run kernels), and two sessions on two threads never see each other's value.
/// Blocks nest: the inner value is seen inside, the outer one again after.
public final class ThreadScoped<Value: AnyObject>: @unchecked Sendable {
    private let key: pthread_key_t

    /// A slot holding nothing on any thread.
    public init() {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        self.key = key
    }

    /// The value of the innermost `with` block running on this thread, if any.
    public var current: Value? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        return Unmanaged<Value>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Runs `body` with `value` current on this thread.
    public func with<T>(_ value: Value, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, Unmanaged.passUnretained(value).toOpaque())
        defer { pthread_setspecific(key, previous) }
        return try withExtendedLifetime(value) { try body() }
    }
}
