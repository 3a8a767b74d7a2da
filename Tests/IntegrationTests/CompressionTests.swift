import BanliCompression
import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Synchronization
import Testing

/// Compressed exchanges between the real hub and real bureaus on loopback: what crossed the wire is read from the hub's
/// `/metrics` (`banli_sync_body_bytes_total` by coding, `banli_sync_body_json_bytes_total` as JSON).
@Suite(.serialized) struct CompressionTests {
    /// The sum of a counter's series whose labels include all of `labels` (e.g. `direction="sent"`).
    func counter(_ c: Cluster, _ name: String, _ labels: [String]) throws -> Double {
        let r = try CurlTransport(baseURL: "http://127.0.0.1:\(c.adminPort)", token: "").get("/metrics", extraTimeout: 0, cancel: nil)
        #expect(r.status == 200)
        return String(decoding: r.body, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") && labels.allSatisfy($0.contains) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// Wire and JSON bytes of one direction so far.
    func bytes(_ c: Cluster, _ direction: String) throws -> (zstd: Double, identity: Double, json: Double) {
        let d = "direction=\"\(direction)\""
        return (try counter(c, "banli_sync_body_bytes_total", [d, "coding=\"zstd\""]),
                try counter(c, "banli_sync_body_bytes_total", [d, "coding=\"identity\""]),
                try counter(c, "banli_sync_body_json_bytes_total", [d]))
    }

    /// `count` items at the hub, each assigned to jxj (lead) and fgw (cooperating), written before the hub starts.
    func addItems(_ c: Cluster, count: Int) throws {
        let hub = try c.store("hub")
        for start in stride(from: 1, through: count, by: 50) {
            var writes: [LocalWrite] = []
            for i in start..<min(count + 1, start + 50) {
                let id = "zx-2025-\(i)"
                writes += [
                    LocalWrite(.item(id: id), "title", .string("关于进一步加强大冶换热器新质生产力建设的提案（第\(i)号）")),
                    LocalWrite(.item(id: id), "proposers", .array([.string("陈申习"), .string("王秋红")])),
                    LocalWrite(.assignment(item: id, site: "jxj"), "role", .string("lead")),
                    LocalWrite(.assignment(item: id, site: "fgw"), "role", .string("cooperating")),
                ]
            }
            try hub.write(writes)
        }
    }

    /// A clerk's progress note on item `i`.
    func reply(_ i: Int) -> JSONValue { .string("已走访企业\(i)家，召开座谈会两次，正在起草答复。") }

    @Test func anInitialSyncAndLaterPushesCrossCompressedAndLandAsPlainOnesDo() throws {
        let c = try Cluster(units: ["jxj", "fgw"])
        try addItems(c, count: 300)
        try c.startHub()
        defer { c.stopHub() }

        // jxj's first sync: its answers come back zstd-compressed, a third of their JSON or less.
        try c.sync("jxj")
        let pulled = try bytes(c, "sent")
        #expect(pulled.zstd > 0, "answers were compressed")
        #expect(pulled.json >= 3 * (pulled.zstd + pulled.identity), "answers on the wire \(pulled.zstd + pulled.identity) of \(pulled.json) bytes of JSON")

        // The answer as a bureau sees it: zstd on the wire, JSON once libcurl decoded it.
        let probe = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        let answer = try probe.post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0,"limit":2000}"#)
        #expect(answer.status == 200 && answer.headers["content-encoding"] == "zstd" && answer.headers["vary"] == "Accept-Encoding")
        #expect(answer.bytesReceived * 3 < answer.body.count, "\(answer.bytesReceived) bytes on the wire for \(answer.body.count) of JSON")
        #expect(try SyncResponse(bytes: answer.body).changes.count > 1_000)
        let afterProbe = try bytes(c, "sent")

        // fgw with compression off: plain JSON both ways, and the same records as jxj.
        try "site = \"fgw\"\n[network]\ncompression = false\n".write(toFile: c.dir + "/fgw.toml", atomically: true, encoding: .utf8)
        try c.cli.ok(["--config", "fgw.toml", "sync", "--store", "fgw.db"])
        let plain = try bytes(c, "sent")
        #expect(plain.zstd == afterProbe.zstd, "no compressed answer to a bureau that does not accept one")
        #expect(plain.identity - afterProbe.identity == plain.json - afterProbe.json, "fgw's answers crossed as plain JSON")
        #expect(plain.json - afterProbe.json > 3 * (pulled.zstd + pulled.identity), "the same pull, plain, is over three times the bytes")
        let jxj = try c.dump("jxj"), fgw = try c.dump("fgw"), hub = try c.dump("hub")
        #expect(jxj.count == hub.count && jxj.count > 1_000, "jxj holds the hub's \(hub.count) field states: \(jxj.count)")
        #expect(jxj == fgw, "a compressed pull stores exactly what a plain one does")

        // jxj's daemon learns from its first answer that the hub takes zstd, then pushes a clerk's 300 replies compressed.
        let before = try bytes(c, "received")
        let daemon = try c.startDaemon("jxj", interval: 300)
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let log = { (try? String(contentsOfFile: c.dir + "/jxj.daemon.log", encoding: .utf8)) ?? "" }
        #expect(wait(30) { ((try? bytes(c, "received"))?.json ?? 0) > before.json }, "the daemon's first exchange: \(log())")
        let received = try bytes(c, "received")
        try c.store("jxj").write((1...300).map { i in
            LocalWrite(.assignment(item: "zx-2025-\(i)", site: "jxj"), "progress", reply(i))
        })
        #expect(wait(60) { (try? c.value("hub", "assignment/zx-2025-300/jxj", "progress")) == reply(300) }, "the pushes reached the hub: \(log())")
        let pushed = try bytes(c, "received")
        #expect(pushed.zstd > received.zstd, "pushes were compressed")
        let wire = (pushed.zstd + pushed.identity) - (received.zstd + received.identity)
        #expect(pushed.json - received.json >= 3 * wire, "pushes on the wire: \(wire) of \(pushed.json - received.json) bytes of JSON")
        for i in [1, 150, 299] {
            #expect(try c.value("hub", "assignment/zx-2025-\(i)/jxj", "progress") == reply(i))
        }
    }

    /// Waits up to `seconds` for `condition`.
    func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }

    /// The hub's peak resident memory (VmHWM), in KiB.
    func peakKB(_ pid: Int32) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    @Test func hostileCompressedRequestsAreRefusedClassByClassAndTheHubServesOn() throws {
        let c = try Cluster(units: ["jxj"], hubConfig: "max_body_bytes = 65536\n")
        try addItems(c, count: 3)
        try c.startHub()
        defer { c.stopHub() }
        try c.sync("jxj")
        let before = try c.dump("hub")
        let jxj = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        let counter = HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds())
        let good = Array((#"{"protocol":1,"site":"jxj","cursor":0,"changes":[{"entity":"assignment/zx-2025-1/jxj","field":"progress","#
            + #""siblings":[{"value":"压缩推送","site":"jxj","counter":\#(counter)}],"context":{"jxj":\#(counter)}}]}"#).utf8)
        // 1 GiB of zeros as 1,024 frames of 1 MiB: about 40 KiB, under max_body_bytes before decompression.
        let frame = Codec.compress([UInt8](repeating: 0, count: 1 << 20), as: .zstd, level: 19)
        let bomb = Array((0..<1024).map { _ in frame }.joined())
        #expect(bomb.count < 65536, "the bomb is \(bomb.count) bytes")
        var corrupt = Codec.compress(good, as: .gzip)
        corrupt[corrupt.count - 7] ^= 0x5A
        let cases: [(name: String, body: [UInt8], coding: String, status: Int, says: String)] = [
            ("bomb", bomb, "zstd", 413, "decompresses to more than 65536 bytes"),
            ("corrupt", corrupt, "gzip", 400, "corrupt"),
            ("truncated", Array(Codec.compress(good, as: .zstd).dropLast(2)), "zstd", 400, "ends before its stream does"),
            ("unknown coding", good, "br", 415, "cannot decode Content-Encoding 'br'"),
            ("coding with an empty body", [], "zstd", 400, "ends before its stream does"),
            ("valid zstd of invalid JSON", Codec.compress(Array("{not json".utf8), as: .zstd), "zstd", 400, "JSON"),
        ]
        let pid = try #require(c.hubPid)
        let peakBefore = peakKB(pid)
        for x in cases {
            let r = try jxj.post("/v1/sync", bytes: x.body, headers: ["Content-Encoding: \(x.coding)"])
            #expect(r.status == x.status, "\(x.name): \(r.status) \(String(decoding: r.body, as: UTF8.self))")
            let error: String? = if case .object(let o)? = try? JSONValue.parse(utf8: r.body) { o["error"]?.stringValue } else { nil }
            #expect(error?.contains(x.says) == true, "\(x.name): \(error ?? "no JSON error")")
            #expect(r.headers["accept-encoding"] == "zstd, gzip", "\(x.name): the hub says what it takes")
            #expect(try jxj.get("/healthz", extraTimeout: 0, cancel: nil).status == 200, "\(x.name): the hub serves on")
        }
        #expect(peakKB(pid) - peakBefore < 64 << 10, "the bomb raised the hub's peak memory by \(peakKB(pid) - peakBefore) KiB")
        #expect(try c.dump("hub") == before, "nothing changed")
        // A well-formed compressed push still lands.
        let r = try jxj.post("/v1/sync", bytes: Codec.compress(good, as: .zstd), headers: ["Content-Encoding: zstd"])
        #expect(r.status == 200 && (try? SyncResponse(bytes: r.body))?.accepted == 1, "\(r.status)")
        #expect(try c.value("hub", "assignment/zx-2025-1/jxj", "progress") == .string("压缩推送"))
    }

    /// The bureau's side of RFC 7694, through the real libcurl transport: it compresses a push only with a coding the hub
    /// advertised; a hub that no longer takes it (415, naming what it takes) or an older hub behind the same address
    /// (400 and no advertisement) gets the same push again in plain JSON, and every push arrives whole.
    @Test func theBureauCompressesOnlyWhatTheHubAdvertisedAndRetriesPlain() throws {
        // What the stand-in hub decodes, and whether it says so.
        let hub = Mutex<(takes: [String], advertises: Bool)>((["zstd", "gzip"], true))
        let server = PageServer { request in
            let (takes, advertises) = hub.withLock { $0 }
            let said = advertises ? ["Accept-Encoding": takes.joined(separator: ", ")] : [:]
            if let coding = request.header("Content-Encoding"), !takes.contains(coding) {
                return advertises ? .init(status: 415, html: #"{"error":"no"}"#, headers: said) : .init(status: 400, html: #"{"error":"bad JSON"}"#)
            }
            return .init(html: "{}", headers: said)
        }
        defer { server.stop() }
        let transport = CurlTransport(baseURL: server.url(""), token: "t")
        let big = #"{"pad":""# + String(repeating: "办理答复", count: 500) + #""}"#
        var sent = 0
        func push(_ json: String = big) throws {
            #expect(try transport.post("/v1/sync", json: json).status == 200)
            sent += 1
        }
        try push()  // nothing advertised yet: plain
        try push()  // zstd, as advertised
        hub.withLock { $0 = ([], false) }
        try push()  // an older hub: zstd refused with 400 and no advertisement, then plain
        try push()  // plain from then on
        hub.withLock { $0 = (["gzip"], true) }
        try push()  // plain, and learns gzip
        try push()  // gzip
        hub.withLock { $0 = (["zstd"], true) }
        try push()  // gzip refused with 415 naming zstd, then plain
        try push()  // zstd
        try push(#"{"small":true}"#)  // under the threshold: plain whatever the hub takes
        let requests = server.requests
        #expect(requests.map { $0.header("Content-Encoding") } == [nil, "zstd", "zstd", nil, nil, nil, "gzip", "gzip", nil, "zstd", nil])
        for r in requests {
            let body = try r.header("Content-Encoding").map { try Codec.decompress(r.body, from: #require(ContentCoding(headerValue: $0)), limit: 1 << 20) }
                ?? r.body
            #expect(String(decoding: body, as: UTF8.self) == big || String(decoding: body, as: UTF8.self) == #"{"small":true}"#)
        }
        #expect(sent == 9 && requests.count == 11, "two pushes were sent twice, none lost")
    }
}
