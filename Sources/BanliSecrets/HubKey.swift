import BanliCore
import Foundation

/// The hub's secret for authenticating its own writes (HMAC-SHA256, 16-byte tags).
///
/// Bureaus keep the tag with each hub sibling. After the hub is restored from an old backup, a bureau
/// pushes those siblings back and the hub accepts them as its own, while a forged hub write has no valid tag.
public enum HubKey {
    /// Loads the key file, or creates one (mode 0600) if it does not exist.
    ///
    /// Several hub processes (PostgreSQL) may start together: the key is written to a private temporary file and
    /// linked into place, so a process either creates the whole file or reads the one another process linked first.
    public static func loadOrCreate(at path: String) throws -> [UInt8] {
        if let key = try load(path) { return key }
        let key = Digest.randomBytes(32)
        let text = Data(key).base64EncodedString() + "\n"
        let temporary = path + ".tmp-" + Digest.randomHex(bytes: 8)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw BanliError(.io, "Cannot create the hub key file \(path): \(BanliError.systemText(errno)).")
        }
        defer { unlink(temporary) }
        let bytes = Array(text.utf8)
        let written = write(fd, bytes, bytes.count) == bytes.count && fsync(fd) == 0
        let writeError = errno
        close(fd)
        guard written else {
            throw BanliError(.io, "Cannot write the hub key file \(path): \(BanliError.systemText(writeError)).")
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST, let other = try load(path) { return other }
            throw BanliError(.io, "Cannot create the hub key file \(path): \(BanliError.systemText(errno)).")
        }
        return key
    }

    /// The key in the file at `path`, nil when there is no file.
    static func load(_ path: String) throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let text = String(data: data, encoding: .utf8), let raw = Data(base64Encoded: text.trimmedWhitespace), raw.count == 32 else {
            throw BanliError(.config, "The hub key file \(path) is damaged; restore it from a backup (a new key cannot verify the hub's earlier writes).")
        }
        return Array(raw)
    }

    /// The tag of a hub sibling.
    public static func tag(_ key: [UInt8], entity: EntityKey, field: String, sibling s: Sibling) -> String {
        var message = entity.description + "\n" + field + "\n" + s.site + "\n" + String(s.counter) + "\n"
        s.value.write(to: &message)
        let mac = Digest.hmacSHA256(key: key, message: Array(message.utf8))
        return Data(mac.prefix(16)).base64EncodedString()
    }

    /// True when the sibling's tag is valid (compared in constant time).
    public static func verify(_ key: [UInt8], entity: EntityKey, field: String, sibling s: Sibling) -> Bool {
        guard let sig = s.sig else { return false }
        return ConstantTime.equal(tag(key, entity: entity, field: field, sibling: s), sig)
    }
}
