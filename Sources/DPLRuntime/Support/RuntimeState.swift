import DPLData
import DPLLang

/// What the built-in stages of one session share: the model cache, the table of every result
/// reported so far (so a `for` sweep builds one table), and the counter that gives each
/// `seed=random` invocation a fresh call index.
final class RuntimeState {
    /// Models read so far.
    let models = ModelLibrary()
    /// Full dataset splits read so far, by name, split and folder.
    var datasetCache: [String: Dataset] = [:]
    /// Rows added by `report`, in order.
    var results: [ResultRow] = []
    /// The next fresh-randomness call index (`seed=random`); only ever increases within a session.
    private var nextCall: UInt64 = 1
    /// Whether smoke mode's announcement was printed since smoke mode was switched on.
    var smokeAnnounced = false

    /// A call index never handed out before in this session.
    func freshCall() -> UInt64 {
        defer { nextCall += 1 }
        return nextCall
    }

    /// Forgets everything (the REPL's `:reset`).
    func reset() {
        models.clear()
        datasetCache.removeAll()
        results.removeAll()
        nextCall = 1
        smokeAnnounced = false
    }
}
