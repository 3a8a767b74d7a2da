@testable import BanliHub
import BanliCompression
import BanliCore
import BanliProtocol
import BanliStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Compressed exchanges on the bureaus' listener: the answer's coding follows `Accept-Encoding`, a compressed push is
/// decoded within `max_body_bytes`, and every bad body is one clear 4xx.
extension HubRoutesTests {
    /// Thirty items assigned to jxj, so that its first pull is several KiB.
    func addItems() throws {
        for i in 1...30 {
            try store.write([
                LocalWrite(.item(id: "rd-2025-\(100 + i)"), "title", .string("关于加强社区养老服务设施建设的建议之\(i)")),
                LocalWrite(.assignment(item: "rd-2025-\(100 + i)", site: "jxj"), "role", .string("lead")),
            ])
        }
    }

    func pull(_ hub: HubServer, acceptEncoding: String?, cursor: Int64 = 0) async throws -> TestResponse {
        var headers = bearer(jxj)
        if let acceptEncoding { headers[.acceptEncoding] = acceptEncoding }
        let body = syncBody(site: "jxj", cursor: cursor), sent = headers
        return try await withSync(hub) { client in try await client.execute(uri: "/v1/sync", method: .post, headers: sent, body: body) }
    }

    /// The answer's JSON, decoded per its `Content-Encoding`.
    func json(_ r: TestResponse) throws -> [UInt8] {
        let wire = Array(r.body.readableBytesView)
        guard let coding = r.headers[.contentEncoding] else { return wire }
        return try Codec.decompress(wire, from: try #require(ContentCoding(headerValue: coding)), limit: 64 << 20)
    }

    @Test(arguments: [
        ("deflate, gzip, br, zstd", "zstd"), ("gzip", "gzip"), ("x-gzip;q=0.5", "gzip"), ("zstd;q=0.1, gzip;q=0.9", "gzip"),
        ("*", "zstd"), ("zstd;q=0, gzip;q=0", nil), ("identity", nil), ("*;q=0", nil), ("br", nil), (nil, nil),
    ] as [(String?, String?)])
    func aLargeAnswerIsCompressedAsTheBureauAccepts(acceptEncoding: String?, expected: String?) async throws {
        try addItems()
        let hub = try makeHub()
        let plain = try await pull(hub, acceptEncoding: nil)
        let answer = try await pull(hub, acceptEncoding: acceptEncoding)
        #expect(answer.status == .ok)
        #expect(answer.headers[.contentEncoding] == expected)
        #expect(answer.headers[.vary] == "Accept-Encoding")
        #expect(answer.headers[.acceptEncoding] == "zstd, gzip", "the request codings the hub takes (RFC 7694)")
        #expect(plain.body.readableBytes > 4096, "the first pull is large: \(plain.body.readableBytes) bytes")
        let decoded = try SyncResponse(bytes: try json(answer))
        let reference = try SyncResponse(bytes: Array(plain.body.readableBytesView))
        #expect(decoded.changes.map { $0.entity.description + $0.field } == reference.changes.map { $0.entity.description + $0.field })
        #expect(decoded.cursor == reference.cursor)
        if expected != nil {
            #expect(answer.body.readableBytes * 3 < plain.body.readableBytes, "\(answer.body.readableBytes) vs \(plain.body.readableBytes)")
        }
    }

    @Test func aSmallAnswerStaysPlain() async throws {
        let hub = try makeHub()
        let first = try SyncResponse(bytes: Array(try await pull(hub, acceptEncoding: nil).body.readableBytesView))
        let noop = try await pull(hub, acceptEncoding: "zstd, gzip", cursor: first.cursor)
        #expect(noop.status == .ok)
        #expect(noop.body.readableBytes <= 1024, "a no-op answer is \(noop.body.readableBytes) bytes")
        #expect(noop.headers[.contentEncoding] == nil)
        #expect(noop.headers[.vary] == "Accept-Encoding")
        #expect(try SyncResponse(bytes: Array(noop.body.readableBytesView)).changes.isEmpty)
    }

    func push(_ hub: HubServer, _ body: [UInt8], coding: String?) async throws -> TestResponse {
        var headers = bearer(jxj)
        if let coding { headers[.contentEncoding] = coding }
        let sent = headers
        return try await withSync(hub) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: sent, body: ByteBuffer(bytes: body))
        }
    }

    @Test(arguments: ["zstd", "gzip", "ZSTD", "x-gzip"])
    func aCompressedPushIsDecodedAndStored(coding: String) async throws {
        let hub = try makeHub()
        let json = Array(syncBody(site: "jxj", changes: [try progress("已召开协调会（\(coding)）")]).readableBytesView)
        let answer = try await push(hub, Codec.compress(json, as: try #require(ContentCoding(headerValue: coding))), coding: coding)
        #expect(answer.status == .ok, "\(error(answer) ?? "")")
        #expect(try SyncResponse(bytes: try self.json(answer)).accepted == 1)
        #expect(try store.field(.assignment(item: "rd-2025-39", site: "jxj"), "progress")?.visibleValue(hubSite: "hub")
                == .string("已召开协调会（\(coding)）"))
    }

    @Test func identityAsContentEncodingIsNoCoding() async throws {
        let hub = try makeHub()
        let json = Array(syncBody(site: "jxj", changes: [try progress("明文")]).readableBytesView)
        #expect(try await push(hub, json, coding: "identity").status == .ok)
    }

    @Test func badCompressedBodiesAreOneClear4xxAndChangeNothing() async throws {
        let hub = try makeHub(maxBodyBytes: 64 << 10)
        let json = Array(syncBody(site: "jxj", changes: [try progress("不应写入")]).readableBytesView)
        let zstd = Codec.compress(json, as: .zstd)
        var corrupt = Codec.compress(json, as: .gzip)
        corrupt[corrupt.count - 6] ^= 0xFF  // inside the CRC-32
        let bomb = Codec.compress([UInt8](repeating: 0x20, count: 4 << 20), as: .zstd)
        let cases: [(name: String, body: [UInt8], coding: String, status: HTTPResponse.Status, says: String)] = [
            ("unknown coding", json, "br", .unsupportedMediaType, "cannot decode Content-Encoding 'br'"),
            ("stacked codings", Codec.compress(zstd, as: .gzip), "zstd, gzip", .unsupportedMediaType, "zstd, gzip"),
            ("long unknown coding", json, String(repeating: "a", count: 60_000), .unsupportedMediaType, "'\(String(repeating: "a", count: 40))'"),
            ("empty body", [], "zstd", .badRequest, "ends before its stream does"),
            ("truncated", Array(zstd.dropLast(3)), "zstd", .badRequest, "ends before its stream does"),
            ("pre-standard zstd frame", [0x27, 0xB5, 0x2F, 0xFD, 0x00, 0x88, 0x40, 0x00, UInt8(json.count & 0xFF)] + json, "zstd", .badRequest,
             "not an RFC 8878 zstd frame"),
            ("corrupt", corrupt, "gzip", .badRequest, "corrupt"),
            ("plain JSON labelled zstd", json, "zstd", .badRequest, "corrupt"),
            ("bomb", bomb, "zstd", .contentTooLarge, "decompresses to more than 65536 bytes"),
            ("not JSON inside", Codec.compress(Array("[1,2]".utf8), as: .zstd), "zstd", .badRequest, "must be a JSON object"),
        ]
        #expect(bomb.count < 1024)
        for c in cases {
            let answer = try await push(hub, c.body, coding: c.coding)
            #expect(answer.status == c.status, "\(c.name): \(answer.status)")
            #expect(error(answer)?.contains(c.says) == true, "\(c.name): \(error(answer) ?? "no JSON error")")
            #expect(answer.headers[.acceptEncoding] == "zstd, gzip", "\(c.name): errors advertise the codings too")
            #expect(answer.body.readableBytes < 400, "\(c.name): one sentence, not the sender's header echoed whole")
        }
        #expect(try store.field(.assignment(item: "rd-2025-39", site: "jxj"), "progress") == nil)
        // The hub still serves, compressed pushes included.
        #expect(try await push(hub, zstd, coding: "zstd").status == .ok)
    }

    /// RFC 7694: every answer of the bureaus' listener names the codings the hub takes, the router's 404 and 405 too.
    @Test func errorsOutsideTheSyncRouteAdvertiseTheCodings() async throws {
        let hub = try makeHub()
        let headers = bearer(jxj)
        for (uri, method, status) in [("/v1/sync", HTTPRequest.Method.get, HTTPResponse.Status.methodNotAllowed), ("/v1/nope", .post, .notFound)] {
            let answer = try await withSync(hub) { client in try await client.execute(uri: uri, method: method, headers: headers) }
            #expect(answer.status == status, "\(method) \(uri)")
            #expect(answer.headers[.acceptEncoding] == "zstd, gzip", "\(method) \(uri)")
        }
    }
}
