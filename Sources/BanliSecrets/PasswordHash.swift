import COpenSSL
import Foundation

/// Passwords of web accounts, hashed with PBKDF2-HMAC-SHA256 from the system's libcrypto.
///
/// The stored form is `pbkdf2-sha256$ITERATIONS$SALT$KEY` (salt and key in base64): the count travels with each
/// hash, so it can rise later while older hashes still verify at their own count.
public enum PasswordHash {
    /// OWASP's current recommendation for PBKDF2-HMAC-SHA256.
    public static let iterations = 600_000
    static let scheme = "pbkdf2-sha256"
    static let saltBytes = 16
    static let keyBytes = 32
    /// The most a stored hash may ask for: a damaged or hostile row cannot stall a login for hours.
    static let maxIterations = 10_000_000

    /// A valid hash of a random password: a login for an unknown name verifies against it, so it costs the same time.
    public static let dummy: String = make(Digest.randomHex(bytes: 16))

    /// The stored form of `password`, with a fresh random salt.
    public static func make(_ password: String) -> String {
        let salt = Digest.randomBytes(saltBytes)
        let key = derive(Array(password.utf8), salt: salt, iterations: iterations, length: keyBytes)
        return [scheme, String(iterations), Data(salt).base64EncodedString(), Data(key).base64EncodedString()].joined(separator: "$")
    }

    /// True when `password` matches `stored`; false for a malformed stored string.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme,
              parts[1].allSatisfy(\.isASCII), let count = Int(parts[1]), (1...maxIterations).contains(count),
              let salt = Data(base64Encoded: String(parts[2])), salt.count == saltBytes,
              // Exactly the full key: PBKDF2's shorter outputs are prefixes, so a cut key must not verify.
              let key = Data(base64Encoded: String(parts[3])), key.count == keyBytes
        else { return false }
        let derived = derive(Array(password.utf8), salt: Array(salt), iterations: count, length: key.count)
        return ConstantTime.equal(derived, Array(key))
    }

    /// PBKDF2-HMAC-SHA256 of `password` and `salt` (exposed to the tests, which check published vectors at low counts).
    static func derive(_ password: [UInt8], salt: [UInt8], iterations: Int, length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { p in
            salt.withUnsafeBufferPointer { s in
                p.withMemoryRebound(to: CChar.self) { pc in
                    PKCS5_PBKDF2_HMAC(pc.baseAddress, Int32(p.count), s.baseAddress, Int32(s.count), Int32(iterations), EVP_sha256(),
                                      Int32(length), &out)
                }
            }
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return out
    }
}
