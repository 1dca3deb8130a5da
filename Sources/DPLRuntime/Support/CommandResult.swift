// MARK: - Results of commands the runtime carries out

/// How a command the runtime carries out (`dpl verify`, `dpl pack`, `dpl submit`) ended. The
/// command line maps it to an exit status (DPLCommandLine's `ExitStatus`); the runtime knows
/// nothing of exit codes.
public enum CommandResult: Equatable, Sendable {
    /// The command did what was asked (verify: the rerun reproduced the results).
    case success
    /// The results are not reproduced: a rerun differs, or files the experiment used are
    /// missing or changed.
    case notReproduced
    /// The work itself failed: a rerun, a write, a job.
    case failed
    /// The command was given something it cannot use (an unreadable results file, a bad
    /// option); nothing ran.
    case usage
}
