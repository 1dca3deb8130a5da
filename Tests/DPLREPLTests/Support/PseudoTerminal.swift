import Foundation

/// Why a pseudo-terminal interaction failed; the transcript shows what the program printed.
struct PseudoTerminalError: Error, CustomStringConvertible {
    let description: String
}

/// A program running with a pseudo-terminal as its controlling terminal, as if a user typed
/// into it: what is sent to the master arrives as keystrokes (Ctrl-C becomes SIGINT through
/// the terminal's line discipline), and what the program draws is read back from the master.
/// Every wait is bounded, so a broken program fails the test instead of hanging it.
final class PseudoTerminalProcess {
    private let master: Int32
    private let pid: pid_t
    private var transcript: [UInt8] = []
    /// Where the next `expect` starts searching; text before it was already matched.
    private var searchStart = 0
    private var exitStatus: Int32?

    /// Starts `executable` in a new session whose stdin, stdout and stderr are the terminal.
    init(executable: String, environment: [String: String]) throws {
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0, let terminalPath = PseudoTerminalProcess.unlockedTerminalPath(master: master) else {
            throw PseudoTerminalError(description: "cannot open a pseudo-terminal: errno \(errno)")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session, so that opening the terminal makes it the controlling terminal.
        // The test runner's threads may block or ignore SIGINT, and a spawned child inherits
        // both; the child must start with the defaults a shell would give it.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var interruptSignal = sigset_t()
        sigemptyset(&interruptSignal)
        sigaddset(&interruptSignal, SIGINT)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &interruptSignal)
        posix_spawnattr_setflags(&attributes, PseudoTerminalProcess.spawnNewSession
                                 | Int16(POSIX_SPAWN_SETSIGMASK) | Int16(POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, terminalPath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)

        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
        let environmentStrings: [UnsafeMutablePointer<CChar>?] =
            environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            environmentStrings.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, arguments, environmentStrings)
        guard status == 0 else {
            close(master)
            throw PseudoTerminalError(description: "cannot start \(executable): error \(status)")
        }
        pid = child
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        close(master)
    }

    // MARK: - Opening

    /// glibc's POSIX_SPAWN_SETSID, which Swift's Glibc module does not export.
    private static let spawnNewSession = Int16(0x80)

    /// grantpt, unlockpt and ptsname_r are declared only under _XOPEN_SOURCE, which Swift's
    /// Glibc module does not define, so they are looked up by name in the C library.
    private static func unlockedTerminalPath(master: Int32) -> String? {
        typealias TerminalCall = @convention(c) (Int32) -> Int32
        typealias NameCall = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32
        let library = dlopen(nil, RTLD_NOW)
        guard let grant = dlsym(library, "grantpt"), let unlock = dlsym(library, "unlockpt"),
              let name = dlsym(library, "ptsname_r") else { return nil }
        guard unsafeBitCast(grant, to: TerminalCall.self)(master) == 0,
              unsafeBitCast(unlock, to: TerminalCall.self)(master) == 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 128)
        guard unsafeBitCast(name, to: NameCall.self)(master, &buffer, buffer.count) == 0 else { return nil }
        return String(cString: buffer)
    }

    // MARK: - Typing

    /// Types `keys` (use "\r" for Return, "\t" for TAB, "\u{3}" for Ctrl-C, "\u{1b}[A" for Up).
    func send(_ keys: String) {
        var bytes = Array(keys.utf8)
        _ = bytes.withUnsafeMutableBytes { write(master, $0.baseAddress, $0.count) }
    }

    // MARK: - Reading

    /// Waits until `text` appears after the previous match; returns what came before it.
    @discardableResult
    func expect(_ text: String, timeout: Double = 15, line: Int = #line) throws -> String {
        let needle = Array(text.utf8)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let range = find(needle, from: searchStart) {
                let skipped = String(decoding: transcript[searchStart..<range.lowerBound], as: UTF8.self)
                searchStart = range.upperBound
                return skipped
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, readMore(waitingAtMost: remaining) else {
                throw PseudoTerminalError(description: "line \(line): did not see \(text.debugDescription); after the last match the program printed: \(unmatchedText.debugDescription)")
            }
        }
    }

    private var unmatchedText: String {
        String(decoding: transcript[searchStart...], as: UTF8.self)
    }

    /// Reads what is available within the time limit; false when nothing came (or the
    /// terminal closed because the program exited).
    private func readMore(waitingAtMost seconds: Double) -> Bool {
        var entry = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Int32(max(1, seconds * 1000))) > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        transcript.append(contentsOf: chunk[..<count])
        return true
    }

    private func find(_ needle: [UInt8], from start: Int) -> Range<Int>? {
        guard !needle.isEmpty, transcript.count - start >= needle.count else { return nil }
        for index in start...(transcript.count - needle.count)
        where transcript[index..<(index + needle.count)].elementsEqual(needle) {
            return index..<(index + needle.count)
        }
        return nil
    }

    // MARK: - Exit

    /// Everything the program printed, for failure messages.
    var fullTranscript: String {
        String(decoding: transcript, as: UTF8.self)
    }

    /// Waits for the program to exit and returns its exit code (nil if it did not exit in time
    /// or was killed by a signal).
    func waitForExit(timeout: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            // Keep the terminal drained so the program can never block on a full buffer.
            _ = readMore(waitingAtMost: 0.05)
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                exitStatus = status
                let signalled = (status & 0x7f) != 0
                return signalled ? nil : (status >> 8) & 0xff
            }
        }
        return nil
    }
}
