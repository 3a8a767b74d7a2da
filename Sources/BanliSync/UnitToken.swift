import BanliCore
import Foundation
import Synchronization

/// A unit's token, read from its file. A daemon keeps one: `refreshIfChanged()` before each sync picks
/// up a replaced file (another inode, size or mtime), `reload()` re-reads on SIGHUP (`systemctl reload`).
public final class UnitToken: Sendable {
    public let path: String
    private struct Read: Sendable {
        var token: String
        var identity: [Int64]
    }
    private let state: Mutex<Read>

    /// Reads the file now; its errors are the ones `read(_:)` gives.
    public init(path: String) throws {
        self.path = path
        state = Mutex(try Self.read(path))
    }

    /// The token as last read.
    public var value: String { state.withLock { $0.token } }

    /// Re-reads the file when it is not the one last read; true when the token was read again.
    public func refreshIfChanged() throws -> Bool {
        let now = Self.identity(path)
        guard now != state.withLock({ $0.identity }) else { return false }
        try reload()
        return true
    }

    /// Re-reads the file whatever its state; on an error the previous token stays.
    public func reload() throws {
        let fresh = try Self.read(path)
        state.withLock { $0 = fresh }
    }

    private static func identity(_ path: String) -> [Int64] {
        var st = stat()
        return stat(path, &st) == 0 ? identity(st) : []
    }

    private static func identity(_ st: stat) -> [Int64] {
        [Int64(st.st_dev), Int64(st.st_ino), Int64(st.st_size), Int64(st.st_mtim.tv_sec), Int64(st.st_mtim.tv_nsec)]
    }

    /// Reads a token file, refusing one that other users can read, and naming a permission problem as such.
    private static func read(_ path: String) throws -> Read {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw BanliError(.config, "Cannot read the token file \(path): \(BanliError.systemText(errno)).")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw BanliError(.config, "The token file \(path) is readable by other users; run: chmod 600 \(path)")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == EACCES {
                let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
                throw BanliError(.config, "Permission denied reading the token file \(path); it must be owned by the user this runs as "
                                 + "(\(user)), with mode 0600: chown \(user) \(path)")
            }
            throw BanliError(.config, "Cannot read the token file \(path): \(BanliError.systemText(errno)).")
        }
        defer { close(fd) }
        var opened = stat()
        guard fstat(fd, &opened) == 0 else {
            throw BanliError(.config, "Cannot read the token file \(path): \(BanliError.systemText(errno)).")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65_536 {
            let n = Foundation.read(fd, &buffer, buffer.count)
            guard n > 0 else { break }
            bytes += buffer[0..<n]
        }
        guard let token = String(validating: bytes, as: UTF8.self)?.trimmedWhitespace, !token.isEmpty, !token.contains(" ") else {
            throw BanliError(.config, "The token file \(path) is empty or not a token; put the unit's token (from 'banli hub add-unit') in it.")
        }
        return Read(token: token, identity: identity(opened))
    }
}
