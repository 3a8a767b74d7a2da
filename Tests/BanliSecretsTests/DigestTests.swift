import BanliSecrets
import Foundation
import Testing

/// The digests behind token hashes and the hub's tags: a wrong one would lock every unit out after an
/// upgrade (stored token hashes) or make bureaus refuse the hub's own writes (tags).
@Suite struct DigestTests {
    func hex(_ b: [UInt8]) -> String { b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    @Test func sha256MatchesTheFIPSExamples() {
        #expect(hex(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.tokenHash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacMatchesRFC4231() {
        // Test case 2: key "Jefe".
        #expect(hex(Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block size is hashed first.
        #expect(hex(Digest.hmacSHA256(key: [UInt8](repeating: 0xAA, count: 131),
                                      message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    /// The feedback links' tokens (issue 18): RFC 4648 §5 without padding, checked against Foundation's base64 at every tail length.
    @Test func base64URLIsFoundationsBase64MadeURLSafe() {
        for n in [0, 1, 2, 3, 31, 32, 33] {
            let b = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 250) }
            let expected = Data(b).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Digest.base64URL(b) == expected, "\(n) bytes")
        }
        #expect(Digest.randomBase64URL(bytes: 32).count == 43)
    }

    @Test func randomBytesDiffer() {
        let a = Digest.randomBytes(32), b = Digest.randomBytes(32)
        #expect(a.count == 32 && a != b)
    }

    @Test func constantTimeEqualityIsEqualityAtEveryLength() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let a = Digest.randomHex(bytes: Int.random(in: 0...4, using: &rng))
            let b = Bool.random(using: &rng) ? a : Digest.randomHex(bytes: Int.random(in: 0...4, using: &rng))
            #expect(ConstantTime.equal(a, b) == (a == b), "\(a) vs \(b)")
        }
        #expect(!ConstantTime.equal("ab", "ab\u{0}"), "a trailing NUL is a difference, not padding")
    }
}
