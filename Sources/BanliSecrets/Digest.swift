import COpenSSL

/// SHA-256 and HMAC-SHA256 from the system's libcrypto (OpenSSL), which libcurl loads anyway.
public enum Digest {
    /// The SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        bytes.withUnsafeBufferPointer { b in _ = SHA256(b.baseAddress, b.count, &out) }
        return out
    }

    /// The HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        precondition(length == 32, "HMAC-SHA256 must give 32 bytes")
        return Array(out.prefix(Int(length)))
    }

    /// `count` bytes from the system's random source.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// Bytes as lowercase hex (on every request's token, so no per-byte formatting).
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 of a token, lowercase hex: what stores keep instead of the token.
    public static func tokenHash(_ token: String) -> String {
        hex(sha256(Array(token.utf8)))
    }

    /// Random bytes as lowercase hex.
    public static func randomHex(bytes: Int) -> String {
        hex(randomBytes(bytes))
    }

    /// Random bytes as unpadded base64url (RFC 4648 §5): short enough for a link a phone opens, safe in a URL path.
    public static func randomBase64URL(bytes: Int) -> String {
        base64URL(randomBytes(bytes))
    }

    /// Bytes as unpadded base64url (RFC 4648 §5).
    public static func base64URL(_ b: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            let n = min(3, b.count - i)
            let v = (UInt32(b[i]) << 16) | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
            for k in 0...n { out.append(alphabet[Int((v >> (18 - 6 * UInt32(k))) & 0x3F)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
