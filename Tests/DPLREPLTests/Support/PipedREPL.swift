import DPLREPL
import Foundation

/// Text a REPL wrote, split by stream; safe to append to from any thread.
final class CapturedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var standardText = ""
    private var errorText = ""

    var standard: String { lock.lock(); defer { lock.unlock() }; return standardText }
    var error: String { lock.lock(); defer { lock.unlock() }; return errorText }

    /// An output whose text lands here.
    func makeOutput() -> REPLOutput {
        REPLOutput { [self] text, stream in
            lock.lock(); defer { lock.unlock() }
            if stream == .standard { standardText += text } else { errorText += text }
        }
    }
}

/// A REPL in non-terminal mode reading from a pipe the test writes to.
struct PipedREPL {
    let session = RecordingSession()
    let captured = CapturedOutput()
    let inputWriter: Int32
    let repl: REPL

    init(handlesInterrupts: Bool = false) {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        inputWriter = fds[1]
        var configuration = REPLConfiguration()
        configuration.inputFileDescriptor = fds[0]
        configuration.interactive = false
        configuration.history = .none
        configuration.handlesInterrupts = handlesInterrupts
        configuration.output = captured.makeOutput()
        repl = REPL(session: session, configuration: configuration)
    }

    /// Sends text to the REPL's input.
    func send(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(inputWriter, $0.baseAddress, $0.count) }
    }

    /// Ends the REPL's input, as Ctrl-D or the end of a script does.
    func closeInput() {
        close(inputWriter)
    }

    /// Feeds `input` (then end of input) and runs the REPL to the end.
    func run(_ input: String) -> REPLSummary {
        send(input)
        closeInput()
        defer { close(repl.configuration.inputFileDescriptor) }
        return repl.run()
    }
}
