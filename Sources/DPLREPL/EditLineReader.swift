import _CEditLine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads lines through libedit's readline-compatible API: editing keys, history recall,
/// incremental search (Ctrl-R) and TAB completion.
///
/// libedit keeps its state in globals and calls back through plain C function pointers, so one
/// reader at a time is `active` and the callbacks find it there. Three choices keep Ctrl-C safe:
/// libedit's own signal handling is off (`rl_catch_signals = 0`; it would re-send the signal to
/// the whole process group), reading goes through `rl_getc_function` so that a Ctrl-C seen on
/// the cancel pipe can end the line, and SIGINT itself is handled by `InterruptMonitor`.
final class EditLineReader: LineReader {
    /// The reader libedit's callbacks talk to.
    nonisolated(unsafe) static var active: EditLineReader?

    private let inputFileDescriptor: Int32
    private let interrupts: InterruptMonitor?
    private let history: HistoryFile?
    private let output: REPLOutput
    private let complete: (CompletionContext) -> [String]
    private var historyFailureReported = false
    /// Set when Ctrl-C arrived during `readline`; every further character read is a newline
    /// so that libedit returns whatever mode (search, completion listing) it is in.
    private var cancelling = false
    private var lastHistoryEntry: String?

    /// Sets libedit up on the given terminal. Returns nil when libedit cannot start (for
    /// example without a usable terminal description), so the caller can fall back to plain
    /// reading.
    init?(inputFileDescriptor: Int32, outputFileDescriptor: Int32, interrupts: InterruptMonitor?,
          history: HistoryFile?, sessionHistoryLimit: Int, output: REPLOutput,
          complete: @escaping (CompletionContext) -> [String]) {
        self.inputFileDescriptor = inputFileDescriptor
        self.interrupts = interrupts
        self.history = history
        self.output = output
        self.complete = complete

        EditLineReader.useUTF8CharacterType()
        guard let input = fdopen(dup(inputFileDescriptor), "r"),
              let terminalOutput = fdopen(dup(outputFileDescriptor), "w") else { return nil }
        rl_instream = input
        rl_outstream = terminalOutput
        rl_readline_name = UnsafePointer(EditLineReader.permanentCString("dpl"))
        rl_catch_signals = 0
        rl_catch_sigwinch = 0
        rl_getc_function = editLineReadCharacter
        rl_attempted_completion_function = editLineComplete
        rl_basic_word_break_characters = UnsafePointer(EditLineReader.permanentCString(REPL.wordBreakCharacters))
        rl_completion_append_character = Int32(UInt8(ascii: " "))
        EditLineReader.active = self
        guard rl_initialize() == 0 else {
            EditLineReader.active = nil
            return nil
        }
        using_history()
        if let history, !history.load(reportingTo: output) { historyFailureReported = true }
        if history == nil { stifle_history(Int32(clamping: max(sessionHistoryLimit, 1))) }
    }

    // MARK: - LineReader

    func readLine(prompt: String) -> LineEvent {
        EditLineReader.active = self
        cancelling = false
        // libedit only learns about window size changes from SIGWINCH, which it no longer
        // catches; asking before each line keeps wrapping right after a resize.
        rl_resize_terminal()
        // libedit prints the prompt before it switches the terminal to raw mode, so keys typed
        // the instant the prompt appears were echoed twice and a Ctrl-D could be swallowed by
        // the kernel's line editing. Switching first closes that window.
        rl_prep_terminal(1)
        guard let raw = readline(prompt) else {
            // Ctrl-D: move off the prompt line so the shell prompt starts on a fresh line.
            output.write("\n")
            return .endOfInput
        }
        defer { free(raw) }
        if cancelling {
            interrupts?.acknowledgeCancel()
            return .cancelled
        }
        return .line(String(cString: raw))
    }

    func recordHistory(_ line: String) {
        // Repeating the same line fills history with noise; recall it once.
        guard line != lastHistoryEntry else { return }
        lastHistoryEntry = line
        add_history(line)
        if let history, !history.save(), !historyFailureReported {
            historyFailureReported = true
            output.writeErrorLine("history is not saved: cannot write \(history.path); check the directory or set DPL_HISTORY.")
        }
    }

    func finish() {
        if let history { _ = history.save() }
        if EditLineReader.active === self { EditLineReader.active = nil }
        fflush(rl_outstream)
    }

    // MARK: - Callbacks

    /// The next character typed, decoded from UTF-8 to a code point, or -1 at end of input.
    /// A Ctrl-C (seen on the cancel pipe) makes this and every later call until `readline`
    /// returns produce a newline.
    fileprivate func readCharacter() -> Int32 {
        let newline = Int32(UInt8(ascii: "\n"))
        if cancelling { return newline }
        if let interrupts {
            let ready = POSIXIO.waitReadable([interrupts.cancelFileDescriptor, inputFileDescriptor])
            if ready == 0 {
                cancelling = true
                return newline
            }
        }
        guard let lead = POSIXIO.readByte(from: inputFileDescriptor) else { return -1 }
        let continuationCount: Int
        switch lead {
        case 0..<0x80: return Int32(lead)
        case 0xC0..<0xE0: continuationCount = 1
        case 0xE0..<0xF0: continuationCount = 2
        case 0xF0..<0xF8: continuationCount = 3
        default: return 0xFFFD
        }
        var scalar = UInt32(lead) & (0x3F >> UInt32(continuationCount))
        for _ in 0..<continuationCount {
            guard let next = POSIXIO.readByte(from: inputFileDescriptor) else { return -1 }
            guard next & 0xC0 == 0x80 else { return 0xFFFD }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        return Unicode.Scalar(scalar) == nil ? 0xFFFD : Int32(scalar)
    }

    /// The matches for the word before the cursor in readline's format: a malloc'd,
    /// NULL-terminated array whose first entry replaces the word (the longest common prefix)
    /// and whose other entries are the candidates listed on a second TAB.
    fileprivate func completionMatches(word: String) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        let line = rl_line_buffer.map { String(cString: $0) } ?? ""
        // rl_point counts bytes of the multibyte line buffer.
        let lineBytes = Array(line.utf8)
        let point = min(max(Int(rl_point), 0), lineBytes.count)
        let beforeCursor = String(decoding: lineBytes[..<point], as: UTF8.self)
        let context = CompletionContext(line: line, textBeforeCursor: beforeCursor, word: word)
        // A candidate must extend the word, or libedit would silently delete what was typed.
        var seen = Set<String>()
        let candidates = complete(context).filter { $0.hasPrefix(word) && seen.insert($0).inserted }.sorted()
        guard let first = candidates.first else { return nil }

        // A finished stage or parameter name is followed by a space; a directory or `key=` is
        // not, because the user goes on typing right after it.
        let opensMore = first.hasSuffix("/") || first.hasSuffix("=")
        rl_completion_append_character = candidates.count == 1 && !opensMore ? Int32(UInt8(ascii: " ")) : 0

        // libedit takes a match as the only one when entry 1 repeats entry 0 and entry 2 ends
        // the array (it reads entry 2 even for [match, NULL]); only then does it append the
        // space, so a single match is passed as [match, match].
        let entries = candidates.count == 1 ? [first, first] : [EditLineReader.commonPrefix(of: candidates)] + candidates
        guard let array = malloc((entries.count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)?
            .bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: entries.count + 1) else { return nil }
        for (index, entry) in entries.enumerated() { array[index] = strdup(entry) }
        array[entries.count] = nil
        return array
    }

    // MARK: - Helpers

    static func commonPrefix(of words: [String]) -> String {
        guard var prefix = words.first.map(Array.init) else { return "" }
        for word in words.dropFirst() {
            let characters = Array(word)
            var length = 0
            while length < min(prefix.count, characters.count) && prefix[length] == characters[length] { length += 1 }
            prefix.removeSubrange(length...)
        }
        return String(prefix)
    }

    /// libedit stores these pointers for the life of the process, so they are never freed.
    private static func permanentCString(_ text: String) -> UnsafeMutablePointer<CChar>? {
        strdup(text)
    }

    /// libedit converts between code points and bytes with the C library's character type;
    /// in the default "C" locale anything beyond ASCII would be garbled. Only LC_CTYPE changes,
    /// so number formatting is unaffected.
    private static func useUTF8CharacterType() {
        if let current = setlocale(LC_CTYPE, ""), String(cString: current).lowercased().contains("utf") { return }
        _ = setlocale(LC_CTYPE, "C.UTF-8")
    }
}

// MARK: - C entry points

/// libedit's `rl_getc_function`.
private let editLineReadCharacter: @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32 = { _ in
    EditLineReader.active?.readCharacter() ?? -1
}

/// libedit's `rl_attempted_completion_function`.
private let editLineComplete: @convention(c) (UnsafePointer<CChar>?, Int32, Int32)
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, _, _ in
    // Without this libedit falls back to completing file names in the current directory.
    rl_attempted_completion_over = 1
    guard let reader = EditLineReader.active else { return nil }
    return reader.completionMatches(word: text.map { String(cString: $0) } ?? "")
}
