import DPLLang
import DPLRuntime

// MARK: - Exit statuses

/// The exit status of every `dpl` command (documented in docs/cli.md): 0 success, 1 errors in
/// a script or results that do not reproduce, 2 a failure while running, 64 bad usage
/// (sysexits' EX_USAGE), 130 stopped by Ctrl-C (128 + SIGINT, as shells report it).
public enum ExitStatus {
    /// Everything ran.
    public static let success: Int32 = 0
    /// Errors in a script (parse, check, unformatted file), or results that do not reproduce.
    public static let scriptError: Int32 = 1
    /// A failure while running.
    public static let runtimeFailure: Int32 = 2
    /// Bad command-line usage.
    public static let usage: Int32 = 64
    /// The user stopped the run with Ctrl-C.
    public static let cancelled: Int32 = 130

    /// The status of running or checking a script.
    public static func of(_ outcome: Outcome) -> Int32 {
        switch outcome {
        case .success: return success
        case .scriptErrors: return scriptError
        case .runtimeFailure: return runtimeFailure
        case .cancelled: return cancelled
        }
    }

    /// The status of a command the runtime carried out.
    public static func of(_ result: CommandResult) -> Int32 {
        switch result {
        case .success: return success
        case .notReproduced: return scriptError
        case .failed: return runtimeFailure
        case .usage: return usage
        }
    }
}
