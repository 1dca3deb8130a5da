#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the REPL and the session write what the user reads: results to one stream, errors to
/// another, so that a non-terminal run can be piped without mixing the two.
public final class REPLOutput {
    /// Which of the two streams a piece of text belongs to.
    public enum Stream: Sendable {
        /// Results and messages.
        case standard
        /// Error messages.
        case error
    }

    private let sink: (String, Stream) -> Void

    /// Output that goes to two file descriptors (by default standard output and standard error),
    /// written unbuffered so that it interleaves correctly with the line editor's own output.
    public convenience init(standardFileDescriptor: Int32 = STDOUT_FILENO,
                            errorFileDescriptor: Int32 = STDERR_FILENO) {
        self.init { text, stream in
            let fd = stream == .standard ? standardFileDescriptor : errorFileDescriptor
            // Anything a session printed with `print` is still in the C buffer; it goes first.
            fflush(stdout)
            POSIXIO.writeAll(text, to: fd)
        }
    }

    /// Output that hands every piece of text to `sink`, e.g. to capture it in a test.
    public init(sink: @escaping (String, Stream) -> Void) {
        self.sink = sink
    }

    /// Writes `text` as it is (add the newline yourself) to standard output.
    public func write(_ text: String) {
        sink(text, .standard)
    }

    /// Writes `text` as it is to the error stream.
    public func writeError(_ text: String) {
        sink(text, .error)
    }

    /// Writes `text` followed by a newline to standard output.
    public func writeLine(_ text: String) {
        sink(text + "\n", .standard)
    }

    /// Writes `text` followed by a newline to the error stream.
    public func writeErrorLine(_ text: String) {
        sink(text + "\n", .error)
    }
}
