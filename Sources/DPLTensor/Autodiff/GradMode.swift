import Foundation

/// Whether ops record the autodiff graph on the current thread.
///
/// Inference (purification at evaluation time, metrics) runs inside `withoutGradients` so that
/// no intermediate values are kept. The flag is per thread: kernels that fan out over worker
/// threads never record graph nodes themselves, so they are unaffected.
public enum GradMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    // The pthread value is a non-nil sentinel when gradients are *disabled*, so that a thread
    // that never touched the flag has gradients enabled.
    private static let disabledSentinel = UnsafeMutableRawPointer(bitPattern: 1)

    /// Whether ops record graph nodes on this thread.
    public static var isEnabled: Bool {
        pthread_getspecific(key) == nil
    }

    /// Runs `body` with recording set to `enabled`, restoring the previous state afterwards.
    public static func with<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, enabled ? nil : disabledSentinel)
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}

/// Runs `body` without recording the autodiff graph (inference, metrics, optimizer updates).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.with(enabled: false, body)
}

/// Runs `body` with graph recording on, even inside `withoutGradients`.
public func withGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.with(enabled: true, body)
}
