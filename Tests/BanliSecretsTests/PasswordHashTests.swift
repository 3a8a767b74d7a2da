@testable import BanliSecrets
import Foundation
import Testing

/// Web passwords: a wrong derivation would let nobody in after an upgrade (or anybody in with a broken check).
@Suite struct PasswordHashTests {
    func hex(_ b: [UInt8]) -> String { Digest.hex(b) }

    @Test func deriveMatchesRFC7914Vectors() {
        // RFC 7914 §11, PBKDF2-HMAC-SHA256 with dkLen 64.
        #expect(hex(PasswordHash.derive(Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64))
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        #expect(hex(PasswordHash.derive(Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000, length: 64))
                == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
                + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    @Test func roundTripAndWrongPassword() {
        let stored = PasswordHash.make("正确的马电池订书钉")
        #expect(stored.hasPrefix("pbkdf2-sha256$600000$"))
        #expect(PasswordHash.verify("正确的马电池订书钉", against: stored))
        #expect(!PasswordHash.verify("正确的马电池订书针", against: stored))
        #expect(!PasswordHash.verify("", against: stored))
    }

    @Test func storedFormCarriesItsCountAndSaltSizes() throws {
        let parts = PasswordHash.make("long enough password").split(separator: "$").map(String.init)
        #expect(parts.count == 4 && parts[1] == String(PasswordHash.iterations) && PasswordHash.iterations == 600_000)
        #expect(try #require(Data(base64Encoded: parts[2])).count == 16)
        #expect(try #require(Data(base64Encoded: parts[3])).count == 32)
    }

    @Test func aHashMadeAtAnotherCountStillVerifies() {
        // The count can rise later: an older hash verifies at its own count.
        let salt = Array("0123456789abcdef".utf8)
        let key = PasswordHash.derive(Array("old password".utf8), salt: salt, iterations: 1000, length: 32)
        let stored = "pbkdf2-sha256$1000$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
        #expect(PasswordHash.verify("old password", against: stored))
        #expect(!PasswordHash.verify("old passwore", against: stored))
    }

    @Test func twoHashesOfOnePasswordDiffer() {
        let a = PasswordHash.make("same password"), b = PasswordHash.make("same password")
        #expect(a != b)
        #expect(PasswordHash.verify("same password", against: a) && PasswordHash.verify("same password", against: b))
    }

    @Test func dummyIsAValidHashOfNoKnownPassword() {
        #expect(PasswordHash.dummy.hasPrefix("pbkdf2-sha256$600000$") && PasswordHash.dummy.split(separator: "$").count == 4)
        #expect(!PasswordHash.verify("", against: PasswordHash.dummy))
        #expect(!PasswordHash.verify("password123", against: PasswordHash.dummy))
    }

    @Test func malformedStoredStringsVerifyFalse() {
        // A cheap valid hash, then every truncation of it and every single-piece garbling.
        let salt = Array("saltsaltsaltsalt".utf8)
        let key = PasswordHash.derive(Array("pw".utf8), salt: salt, iterations: 3, length: 32)
        let good = "pbkdf2-sha256$3$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
        #expect(PasswordHash.verify("pw", against: good))
        var bad: [String] = ["", "$", "$$$", "pbkdf2-sha256", "plain text", good + "$", "$" + good]
        for n in 0..<good.count { bad.append(String(good.prefix(n))) }
        let pieces = good.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        let replacements = ["", "x", "-1", "0", "99999999999999999999", "1e3", "３", "!!!!", "pbkdf2-sha1", "AAAA", "====", " 3"]
        for i in pieces.indices {
            for r in replacements {
                var p = pieces
                p[i] = r
                bad.append(p.joined(separator: "$"))
            }
            var dropped = pieces
            dropped.remove(at: i)
            bad.append(dropped.joined(separator: "$"))
        }
        for s in bad where s != good {
            #expect(!PasswordHash.verify("pw", against: s), "verified against \(s)")
        }
    }

    @Test func constantTimeEqualityOnBytes() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equal([UInt8](repeating: 0, count: 256), []))
        #expect(ConstantTime.equal([], []))
    }
}
