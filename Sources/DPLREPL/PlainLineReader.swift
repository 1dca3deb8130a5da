#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads lines from a file descriptor without prompts, echo or editing: the non-terminal mode
/// that makes the REPL scriptable (`dpl < script.dpl`, pipes, tests).
final class PlainLineReader: LineReader {
    private let inputFileDescriptor: Int32
    private let interrupts: InterruptMonitor?
    private var buffered: [UInt8] = []
    private var reachedEnd = false

    init(inputFileDescriptor: Int32, interrupts: InterruptMonitor?) {
        self.inputFileDescriptor = inputFileDescriptor
        self.interrupts = interrupts
    }

    func readLine(prompt: String) -> LineEvent {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffered[..<newline]
                buffered.removeSubrange(...newline)
                return .line(Self.decode(line))
            }
            if reachedEnd {
                guard !buffered.isEmpty else { return .endOfInput }
                // The last line had no newline; it is still a line.
                defer { buffered.removeAll() }
                return .line(Self.decode(buffered[...]))
            }
            if waitForInput() { return .cancelled }
            fill()
        }
    }

    func recordHistory(_ line: String) {}

    func finish() {}

    // MARK: - Reading

    /// Blocks until input or a Ctrl-C arrives; true when it was a Ctrl-C.
    private func waitForInput() -> Bool {
        guard let interrupts else { return false }
        let ready = POSIXIO.waitReadable([interrupts.cancelFileDescriptor, inputFileDescriptor])
        if ready == 0 {
            interrupts.acknowledgeCancel()
            return true
        }
        return false
    }

    private func fill() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(inputFileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                buffered.append(contentsOf: chunk[..<count])
                return
            }
            if count < 0 && errno == EINTR { continue }
            reachedEnd = true
            return
        }
    }

    /// UTF-8 text of a line; a Windows line ending loses its carriage return.
    private static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        let trimmed = bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes
        return String(decoding: trimmed, as: UTF8.self)
    }
}
