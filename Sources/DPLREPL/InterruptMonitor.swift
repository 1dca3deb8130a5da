import _CEditLine
import Foundation

/// Turns Ctrl-C (SIGINT) into the right action on an ordinary thread.
///
/// The C signal handler only writes a byte to `signalPipe`. A watcher thread reads it and
/// either interrupts the statement that is running (`session.interrupt()`, which may lock and
/// allocate, so it must not run inside the handler) or, at the prompt, writes to `cancelPipe`,
/// which the line readers poll next to their input to discard the line being typed.
final class InterruptMonitor {
    /// Readable when Ctrl-C was pressed while no statement ran; line readers poll it and
    /// `acknowledgeCancel()` empties it.
    let cancelFileDescriptor: Int32

    private let signalPipe: (read: Int32, write: Int32)
    private let cancelPipe: (read: Int32, write: Int32)
    private let lock = NSLock()
    private var runningSession: REPLSession?
    private var previousAction = sigaction()
    private var previousMask = sigset_t()
    private var watcher: Thread?
    private var installed = false

    private static let interruptByte = UInt8(ascii: "I")
    private static let stopByte = UInt8(ascii: "Q")

    /// Creates the pipes; nil when the system is out of file descriptors.
    init?() {
        guard let signalPipe = POSIXIO.makePipe(nonBlockingRead: false, nonBlockingWrite: true) else { return nil }
        guard let cancelPipe = POSIXIO.makePipe(nonBlockingRead: true, nonBlockingWrite: true) else {
            close(signalPipe.read); close(signalPipe.write)
            return nil
        }
        self.signalPipe = signalPipe
        self.cancelPipe = cancelPipe
        self.cancelFileDescriptor = cancelPipe.read
    }

    deinit {
        stop()
        for fd in [signalPipe.read, signalPipe.write, cancelPipe.read, cancelPipe.write] { close(fd) }
    }

    // MARK: - Lifetime

    /// Installs the SIGINT handler and starts the watcher thread.
    func start() {
        guard !installed else { return }
        installed = true
        // A parent may have started us with SIGINT blocked (test runners, some IDEs); it must
        // reach this thread and the watcher, which inherits this mask.
        var interruptSignal = sigset_t()
        sigemptyset(&interruptSignal)
        sigaddset(&interruptSignal, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &interruptSignal, &previousMask)
        let thread = Thread { [weak self, signalPipe] in
            while let byte = POSIXIO.readByte(from: signalPipe.read), byte != InterruptMonitor.stopByte {
                self?.handleInterrupt()
            }
        }
        thread.name = "DPLREPL interrupt watcher"
        thread.start()
        watcher = thread
        _ = dpl_install_sigint_forwarding(signalPipe.write, &previousAction)
    }

    /// Restores the previous SIGINT action and stops the watcher thread.
    func stop() {
        guard installed else { return }
        installed = false
        _ = dpl_restore_sigint(&previousAction)
        POSIXIO.writeByte(InterruptMonitor.stopByte, to: signalPipe.write)
        while watcher?.isFinished == false { usleep(1000) }
        watcher = nil
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
    }

    // MARK: - Statements

    /// Runs `body` with Ctrl-C routed to `session.interrupt()`.
    func whileExecuting<Result>(_ session: REPLSession, _ body: () -> Result) -> Result {
        lock.lock()
        runningSession = session
        lock.unlock()
        defer {
            lock.lock()
            runningSession = nil
            lock.unlock()
        }
        return body()
    }

    /// Empties the cancel pipe after a reader acted on it.
    func acknowledgeCancel() {
        POSIXIO.drain(cancelPipe.read)
    }

    private func handleInterrupt() {
        lock.lock()
        let session = runningSession
        lock.unlock()
        if let session {
            session.interrupt()
        } else {
            POSIXIO.writeByte(InterruptMonitor.interruptByte, to: cancelPipe.write)
        }
    }
}
