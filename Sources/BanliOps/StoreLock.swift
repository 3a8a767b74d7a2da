import BanliCore
import Foundation

/// An exclusive `flock` on a file beside a store, one file per purpose (created 0600, never removed, so
/// there is no race over deleting it). The kernel drops the lock when its holder exits, however it ends.
/// - `.sync` (`STORE.sync.lock`): held by `banli sync` and by each daemon cycle. Two cycles that overlap
///   would both push from the same push mark, and the hub would be sent everything twice.
/// - `.service` (`STORE.service.lock`): held for its whole life by `banli daemon` or `banli hub serve`, so
///   a second one on the same store is refused. A separate file, so a clerk's `banli sync` still runs.
public final class StoreLock {
    public enum Purpose: String, Sendable {
        case sync
        case service
    }

    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// The lock file of a store for `purpose`.
    public static func path(store: String, purpose: Purpose) -> String { store + ".\(purpose.rawValue).lock" }

    /// Takes the lock, waiting up to `seconds` for another holder to finish; `waiting` is told the
    /// holder's PID once, when the lock is busy.
    public static func acquire(store: String, purpose: Purpose, waitingUpTo seconds: Double,
                               waiting: (String) -> Void = { _ in }) throws -> StoreLock {
        let path = path(store: store, purpose: purpose)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BanliError(.io, "Cannot open the lock file \(path): \(BanliError.systemText(errno)).")
        }
        let deadline = Date().addingTimeInterval(seconds)
        var told = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            guard err == EWOULDBLOCK || err == EINTR else {
                close(fd)
                throw BanliError(.io, "Cannot lock \(path): \(BanliError.systemText(err)).")
            }
            let holder = holderPID(fd)
            if Date() >= deadline {
                close(fd)
                switch purpose {
                case .sync:
                    throw BanliError(.io, "Another sync of \(store) is still running (PID \(holder)) after \(Int(seconds)) s; let it finish and try again.")
                case .service:
                    throw BanliError(.io, "Another banli daemon or hub (PID \(holder)) is already running on the store \(store); "
                                     + "stop it first, or use another store.")
                }
            }
            if !told {
                waiting(holder)
                told = true
            }
            usleep(100_000)
        }
        // Who holds it, for the message the next one prints.
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pwrite(fd, pid, pid.count, 0) }
        return StoreLock(fd: fd)
    }

    /// The PID the holder wrote into the lock file, or "unknown".
    private static func holderPID(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmedWhitespace : ""
        return !text.isEmpty && text.allSatisfy(\.isNumber) ? text : "unknown"
    }
}
