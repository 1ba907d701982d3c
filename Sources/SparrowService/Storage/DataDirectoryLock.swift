import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a data directory (`flock` on `DIR/lock`), held for the process's life.
///
/// A server restarted while the old one still drains would otherwise open the same catalog, take
/// the old one's running jobs for crashed ones and run them twice. The new one waits for the lock
/// instead, as long as a shutdown can take, then gives up with a clear error.
final class DataDirectoryLock: Sendable {
    private let fd: Int32

    /// `waiting` is called once if another process holds the lock at first.
    init(directory: String, wait: Double, waiting: () -> Void = {}) throws {
        let path = directory + "/lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ServiceError(500, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(wait)
        var toldOfWaiting = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw ServiceError(500, "cannot lock \(path): \(String(cString: strerror(code)))")
            }
            if !toldOfWaiting { waiting(); toldOfWaiting = true }
            guard Date() < deadline else {
                close(fd)
                throw ServiceError(500, "the data directory \(directory) is in use by another sparrow serve (waited \(Int(wait)) s for \(path))")
            }
            usleep(50_000)
        }
    }

    deinit { close(fd) }  // closing the descriptor releases the lock
}
