import Foundation
import DPLData
import DPLLang

/// What the built-in stages of one session share: the model cache, the table of every result
/// reported so far (so a `for` sweep builds one table), the counter that gives each
/// `seed=random` invocation a fresh call index, and the files read (for provenance).
final class RuntimeState {
    /// When the session's stages were created (`run.started` in saved results).
    let started = Date()
    /// Weights and dataset files read so far, fingerprinted, and which may be read.
    let openedFiles: OpenedFiles
    /// Models read so far.
    let models: ModelLibrary
    /// When set, every file a stage writes goes under this folder instead (`dpl verify` reruns
    /// there so nothing of the user's is overwritten).
    let outputRedirect: String?
    /// Full dataset splits read so far, by name, split and folder.
    var datasetCache: [String: Dataset] = [:]
    /// Rows added by `report`, in order.
    var results: [ResultRow] = []
    /// Called with the batch's index after a journaled evaluation stored a finished batch
    /// (BatchJournal); tests interrupt a run there.
    var journaledBatch: ((Int) -> Void)?
    /// The next fresh-randomness call index (`seed=random`); only ever increases within a session.
    private var nextCall: UInt64 = 1
    /// Whether smoke mode's announcement was printed since smoke mode was switched on.
    var smokeAnnounced = false

    /// Where the script may write (its folder and the `--allow-write` folders, or only the
    /// output redirect).
    let writePolicy: WritePolicy

    /// A state whose stages write under `outputRedirect` when it is given, and otherwise only
    /// where `writePolicy` allows.
    init(outputRedirect: String? = nil, writePolicy: WritePolicy = WritePolicy(), readPolicy: ReadPolicy = ReadPolicy()) {
        openedFiles = OpenedFiles(policy: readPolicy)
        self.outputRedirect = outputRedirect
        var policy = writePolicy
        policy.redirect = outputRedirect
        self.writePolicy = policy
        models = ModelLibrary(openedFiles: openedFiles)
    }

    /// The path a stage writes for the path a script names (`outputPath`), refused when it
    /// leaves the places the script may write: with an output redirect (`dpl verify`), the
    /// redirect folder and nothing else; otherwise the write policy's folders. `..` and
    /// symbolic links are resolved before judging.
    /// - Throws: `RuntimeError` naming the path and the fix.
    func writablePath(_ path: String, base: String) throws -> String {
        if let refusal = writePolicy.refusal(toWrite: path, scriptFolder: base) {
            throw RuntimeError("cannot write \(refusal)")
        }
        return outputPath(path, base: base)
    }

    /// Where a stage writes the file a script names `path`: resolved against the script's folder,
    /// or, with an output redirect, the same relative path under the redirect folder (an absolute
    /// path keeps only its file name) — `WritePolicy.destination`.
    func outputPath(_ path: String, base: String) -> String {
        writePolicy.destination(of: path, scriptFolder: base)
    }

    /// A call index never handed out before in this session.
    func freshCall() -> UInt64 {
        defer { nextCall += 1 }
        return nextCall
    }

    /// Forgets everything (the REPL's `:reset`).
    func reset() {
        models.clear()
        openedFiles.clear()
        datasetCache.removeAll()
        results.removeAll()
        nextCall = 1
        smokeAnnounced = false
    }
}
