#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few raw file-descriptor operations the REPL needs, with EINTR and short writes handled
/// in one place.
enum POSIXIO {
    /// Writes every byte of `text`; a closed reader or a hard error ends the attempt quietly,
    /// because there is nobody left to tell.
    static func writeAll(_ text: String, to fd: Int32) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Writes one byte, used to wake a thread blocked in `poll`.
    static func writeByte(_ byte: UInt8, to fd: Int32) {
        var value = byte
        while write(fd, &value, 1) < 0 && errno == EINTR {}
    }

    /// Reads one byte; nil at end of input or on an error other than EINTR.
    static func readByte(from fd: Int32) -> UInt8? {
        var value: UInt8 = 0
        while true {
            let count = read(fd, &value, 1)
            if count == 1 { return value }
            if count < 0 && errno == EINTR { continue }
            return nil
        }
    }

    /// Reads whatever is pending on a non-blocking pipe so that old wake-ups do not fire twice.
    static func drain(_ fd: Int32) {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Creates a close-on-exec pipe. A non-blocking write end never stalls its writer (a full
    /// pipe already holds a pending wake-up); a non-blocking read end lets `drain` empty it.
    static func makePipe(nonBlockingRead: Bool, nonBlockingWrite: Bool) -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        for (fd, nonBlocking) in zip(fds, [nonBlockingRead, nonBlockingWrite]) where nonBlocking {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return (fds[0], fds[1])
    }

    /// Which of the descriptors became readable (or hung up) first, waiting without limit.
    /// Returns the index into `fds`.
    static func waitReadable(_ fds: [Int32]) -> Int? {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        while true {
            let ready = poll(&entries, nfds_t(entries.count), -1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return nil }
            return entries.firstIndex { $0.revents != 0 }
        }
    }
}
