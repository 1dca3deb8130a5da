import DPLTensor

// MARK: - Reverse steps as they run, for progress lines

/// Tells an observer each reverse step a purification runs, so a progress line can show
/// `purify step 37/100` while one defense call (a hundred denoising steps with their gradient)
/// takes minutes. The observer is installed per thread, like `FlopCounter`: a defense runs on
/// the thread that calls it (the engine's worker threads only run kernels), and two sessions
/// on two threads never hear each other's steps. It only observes; nothing it does changes a
/// result.
public enum PurificationActivity {
    private final class Observer {
        let hear: (_ step: Int, _ steps: Int) -> Void
        init(_ hear: @escaping (Int, Int) -> Void) { self.hear = hear }
    }

    private static let observer = ThreadScoped<Observer>()

    /// Runs `body` with `observer` hearing every reverse step run on this thread: the step's
    /// index (0-based; a step recomputed for a gradient is heard again) and the steps of its
    /// reverse process.
    public static func observing<T>(_ hear: @escaping (_ step: Int, _ steps: Int) -> Void,
                                    _ body: () throws -> T) rethrows -> T {
        try observer.with(Observer(hear), body)
    }

    /// Reports step `step` of `steps` to this thread's observer, if any.
    static func report(step: Int, of steps: Int) {
        observer.current?.hear(step, steps)
    }
}
