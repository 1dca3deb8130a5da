import _CEditLine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The history file shared by successive REPL sessions, in libedit's own format.
///
/// It is rewritten after every entered line rather than only at exit, so that a session that
/// is killed keeps its history. Concurrent sessions each write their own view; the last one
/// to write wins, which is the usual behaviour of line-editor history files.
struct HistoryFile {
    /// The file's path.
    let path: String
    /// The most lines kept.
    let limit: Int

    /// Bounds the in-memory history and loads the file into it; a missing file is an empty
    /// history, any other failure is reported once and history stays in memory only.
    func load(reportingTo output: REPLOutput) -> Bool {
        stifle_history(Int32(clamping: max(limit, 1)))
        guard access(path, F_OK) == 0 else { return true }
        if read_history(path) != 0 {
            output.writeErrorLine("history is not loaded: cannot read \(path); check its permissions or set DPL_HISTORY.")
            return false
        }
        return true
    }

    /// Writes the in-memory history to the file, readable by the owner only since it records
    /// what was typed.
    func save() -> Bool {
        guard write_history(path) == 0 else { return false }
        _ = chmod(path, 0o600)
        return true
    }
}
