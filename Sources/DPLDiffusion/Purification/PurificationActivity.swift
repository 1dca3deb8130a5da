import Foundation

// MARK: - Reverse steps as they run, for progress lines

/// Tells an observer each reverse step a purification runs, so a progress line can show
/// `purify step 37/100` while one defense call (a hundred denoising steps with their gradient)
/// takes minutes. The observer is installed per thread, like `FlopCounter`: a defense runs on
/// the thread that calls it (the engine's worker threads only run kernels), and two sessions
/// on two threads never hear each other's steps. It only observes; nothing it does changes a
/// result.
public enum PurificationActivity {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private final class Observer {
        let hear: (_ step: Int, _ steps: Int) -> Void
        init(_ hear: @escaping (Int, Int) -> Void) { self.hear = hear }
    }

    /// Runs `body` with `observer` hearing every reverse step run on this thread: the step's
    /// index (0-based; a step recomputed for a gradient is heard again) and the steps of its
    /// reverse process.
    public static func observing<T>(_ observer: @escaping (_ step: Int, _ steps: Int) -> Void,
                                    _ body: () throws -> T) rethrows -> T {
        let box = Observer(observer)
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, Unmanaged.passUnretained(box).toOpaque())
        defer { pthread_setspecific(key, previous) }
        return try withExtendedLifetime(box) { try body() }
    }

    /// Reports step `step` of `steps` to this thread's observer, if any.
    static func report(step: Int, of steps: Int) {
        guard let pointer = pthread_getspecific(key) else { return }
        Unmanaged<Observer>.fromOpaque(pointer).takeUnretainedValue().hear(step, steps)
    }
}
