import BanliCompression
import Testing

/// `Accept-Encoding` negotiation (RFC 9110 §12.5.3).
struct AcceptEncodingTests {
    @Test(arguments: [
        // libcurl's CURLOPT_ACCEPT_ENCODING "" with zstd and brotli built in.
        ("deflate, gzip, br, zstd", ContentCoding.zstd),
        ("gzip", .gzip), ("GZIP", .gzip), ("x-gzip", .gzip), ("zstd", .zstd), ("gzip, zstd", .zstd),
        ("gzip;q=1.0, zstd;q=0.5", .gzip), ("zstd;q=0", nil), ("zstd;q=0, gzip;q=0.001", .gzip),
        ("*", .zstd), ("*;q=0.5, zstd;q=0", .gzip), ("*;q=0", nil), ("*;q=0, identity", nil),
        ("identity", nil), ("", nil), ("br, deflate", nil), ("gzip;q=0.5, identity;q=0.8", nil),
        ("gzip;q=0.8, identity;q=0.8", .gzip), (" gzip ; q=0.3 ,, zstd ; Q=0.2", .gzip),
        // Malformed weights drop their element only.
        ("zstd;q=2, gzip", .gzip), ("zstd;q=0.5x, gzip;q=0.1", .gzip), ("zstd;q=1.5", nil), ("zstd;q=0.1234", nil),
        ("zstd;q=, gzip", .gzip), ("zs td, gzip", .gzip), ("zstd;q=1.000", .zstd), ("zstd;q=0.", nil), ("zstd;level=3", .zstd),
    ] as [(String, ContentCoding?)])
    func theResponseCodingFollowsTheWeights(header: String, expected: ContentCoding?) {
        #expect(AcceptEncoding(header).preferred() == expected, "\(header)")
    }

    @Test func identityIsAcceptableUnlessExcluded() {
        #expect(AcceptEncoding("gzip").weight(of: "identity") == 1)
        #expect(AcceptEncoding("*;q=0").weight(of: "identity") == 0)
        #expect(AcceptEncoding("identity;q=0").weight(of: "identity") == 0)
        #expect(AcceptEncoding("*;q=0, identity;q=0.5").weight(of: "identity") == 0.5)
        #expect(AcceptEncoding("zstd;q=0.25").weight(of: "zstd") == 0.25)
    }

    @Test func theHubsAdvertisementNamesBothCodingsZstdFirst() {
        #expect(AcceptEncoding.advertised == "zstd, gzip")
        #expect(AcceptEncoding(AcceptEncoding.advertised).preferred() == .zstd)
        #expect(AcceptEncoding(AcceptEncoding.advertised).preferred(among: [.gzip]) == .gzip)
    }

    @Test func contentEncodingValues() {
        #expect(ContentCoding(headerValue: " ZSTD ") == .zstd)
        #expect(ContentCoding(headerValue: "x-gzip") == .gzip)
        #expect(ContentCoding(headerValue: "identity") == nil)
        #expect(ContentCoding(headerValue: "br") == nil)
        #expect(ContentCoding(headerValue: "gzip, zstd") == nil)
    }
}
