/// The result rows one registry's stages have reported so far (`report`, `measure`), in order:
/// what the `results` stage returns, readable from Swift without running a statement.
public final class ReportedResults {
    private let state: RuntimeState

    init(state: RuntimeState) { self.state = state }

    /// Every row reported so far in the session, oldest first.
    public var rows: [ResultRow] { state.results }
}
