import BanliCore
import BanliSecrets
import Foundation

/// The hub's secret for authenticating its own writes (HMAC-SHA256, 16-byte tags).
///
/// Bureaus keep the tag with each hub sibling. After the hub is restored from an old backup, a bureau
/// pushes those siblings back and the hub accepts them as its own, while a forged hub write has no valid tag.
enum HubKey {
    /// Loads the key file, or creates one (mode 0600) if it does not exist.
    static func loadOrCreate(at path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard let text = String(data: data, encoding: .utf8), let raw = Data(base64Encoded: text.trimmedWhitespace), raw.count == 32 else {
                throw BanliError(.config, "The hub key file \(path) is damaged; restore it from a backup (a new key cannot verify the hub's earlier writes).")
            }
            return Array(raw)
        }
        let key = Digest.randomBytes(32)
        let text = Data(key).base64EncodedString() + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw BanliError(.io, "Cannot create the hub key file \(path): \(BanliError.systemText(errno)).")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw BanliError(.io, "Cannot write the hub key file \(path): \(BanliError.systemText(errno)).")
        }
        return key
    }

    /// The tag of a hub sibling.
    static func tag(_ key: [UInt8], entity: EntityKey, field: String, sibling s: Sibling) -> String {
        var message = entity.description + "\n" + field + "\n" + s.site + "\n" + String(s.counter) + "\n"
        s.value.write(to: &message)
        let mac = Digest.hmacSHA256(key: key, message: Array(message.utf8))
        return Data(mac.prefix(16)).base64EncodedString()
    }

    /// True when the sibling's tag is valid (compared in constant time).
    static func verify(_ key: [UInt8], entity: EntityKey, field: String, sibling s: Sibling) -> Bool {
        guard let sig = s.sig else { return false }
        return ConstantTime.equal(tag(key, entity: entity, field: field, sibling: s), sig)
    }
}
