import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Testing

/// Hostile input, audit history, token revocation and online backup, against a real hub.
@Suite(.serialized) struct SecurityTests {
    func cluster() throws -> Cluster {
        let c = try Cluster(units: ["jxj", "fgw"])
        try c.cli.ok(["item", "new", "rd-2025-39", "--kind", "建议", "--number", "39", "--year", "2025", "--title", "建议39", "--store", "hub.db"])
        try c.cli.ok(["item", "assign", "rd-2025-39", "jxj", "--role", "主办", "--at", "2025-03-20", "--store", "hub.db"])
        try c.startHub()
        try c.sync("jxj")
        return c
    }

    @Test func hostileInputIsRefusedAndTheHubIsUnchanged() throws {
        let c = try cluster()
        defer { c.stopHub() }
        let before = try c.dump("hub")
        let jxj = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        // Envelope-level: 4xx with a JSON reason.
        var invalidUTF8 = Array(#"{"protocol":1,"site":"jxj","cursor":0,"x":""#.utf8)
        invalidUTF8 += [0xC3, 0x28, 0x22, 0x7D]
        let deep = #"{"protocol":1,"site":"jxj","cursor":0,"x":"# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        let duplicate = #"{"protocol":1,"site":"jxj","site":"fgw","cursor":0}"#
        let c0 = HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds())
        let e = "assignment/rd-2025-39/jxj"
        let siblings65 = (1...65).map { #"{"value":"v","site":"jxj","counter":\#(c0 + UInt64($0))}"# }.joined(separator: ",")
        func push(_ change: String) -> [UInt8] { Array(#"{"protocol":1,"site":"jxj","cursor":0,"changes":[\#(change)]}"#.utf8) }
        let malformed: [(String, [UInt8])] = [
            ("invalid UTF-8", invalidUTF8), ("deep nesting", Array(deep.utf8)), ("duplicate keys", Array(duplicate.utf8)),
            ("negative counter", push(#"{"entity":"\#(e)","field":"progress","siblings":[{"value":"x","site":"jxj","counter":-5}],"context":{"jxj":-5}}"#)),
            ("overflowing counter", push(#"{"entity":"\#(e)","field":"progress","#
                + #""siblings":[{"value":"x","site":"jxj","counter":18446744073709551616}],"context":{"jxj":18446744073709551616}}"#)),
            ("65 siblings", push(#"{"entity":"\#(e)","field":"progress","siblings":[\#(siblings65)],"context":{"jxj":\#(c0 + 65)}}"#)),
            ("bad site in a sibling", push(#"{"entity":"\#(e)","field":"progress","#
                + #""siblings":[{"value":"x","site":"JXJ;--","counter":\#(c0)}],"context":{"JXJ;--":\#(c0)}}"#)),
        ]
        for (name, body) in malformed {
            let r = try jxj.post("/v1/sync", bytes: body)
            #expect(r.status == 400, "\(name): \(r.status)")
            #expect((try? JSONValue.parse(utf8: r.body)).map { if case .object(let o) = $0 { return o["error"] != nil } else { return false } } == true,
                    "\(name)")
        }
        // Change-level (the catalogue, not the structure): each refused with a reason in a 200; the rest lands.
        let changes = [
            #"{"entity":"\#(e)","field":"progress","#
                + #""siblings":[{"value":"\#(String(repeating: "长", count: 200_000))","site":"jxj","counter":\#(c0)}],"context":{"jxj":\#(c0)}}"#,
            #"{"entity":"\#(e)","field":"nonsense","siblings":[],"context":{}}"#,
            #"{"entity":"assignment/rd-2025-39/jxj'; DROP TABLE field;--","field":"progress","siblings":[],"context":{}}"#,
            #"{"entity":"item/../../etc/passwd","field":"title","siblings":[],"context":{}}"#,
        ]
        let r = try jxj.post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0,"changes":[\#(changes.joined(separator: ","))]}"#)
        #expect(r.status == 200)
        let response = try SyncResponse(bytes: r.body)
        #expect(response.accepted == 0 && response.rejected.count == changes.count, "\(response.rejected)")
        #expect(response.rejected.allSatisfy { !$0.reason.isEmpty })
        #expect(try c.dump("hub") == before, "the hub's state is unchanged")
        #expect(try CurlTransport(baseURL: c.hubURL, token: "").get("/healthz", extraTimeout: 0, cancel: nil).status == 200)
        #expect(!c.hubLog().contains(try c.token("jxj")), "no token in the hub's log")
    }

    @Test func historyRecordsWhoWroteWhatAndFromWhere() throws {
        let c = try cluster()
        defer { c.stopHub() }
        try c.cli.ok(["item", "accept", "rd-2025-39", "--at", "2025-03-25", "--store", "jxj.db"])
        try c.sync("jxj")
        let json = try JSONValue.parse(c.cli.ok(["history", "rd-2025-39", "--json", "--store", "hub.db"]))
        guard case .array(let rows) = json else { Issue.record("not an array"); return }
        func has(_ field: String, site: String, origin: String, via: String) -> Bool {
            rows.contains {
                if case .object(let o) = $0 {
                    return o["field"] == .string(field) && o["site"] == .string(site) && o["origin"] == .string(origin) && o["via"] == .string(via)
                }
                return false
            }
        }
        #expect(has("title", site: "hub", origin: "local", via: "hub"))
        #expect(has("acceptedAt", site: "jxj", origin: "received", via: "jxj"))
        let bureau = try c.cli.ok(["history", "rd-2025-39", "--store", "jxj.db"])
        #expect(bureau.contains("本地") && bureau.contains("收到(hub)"))
        #expect(try c.cli.run(["history", "rd-2025-404", "--store", "hub.db"]).status != 0)
    }

    @Test func removedUnitIsLockedOutAndBackupIsConsistentWhileServing() throws {
        let c = try cluster()
        defer { c.stopHub() }
        try c.cli.ok(["backup", "hub-copy.db", "--store", "hub.db"])
        #expect(try c.cli.ok(["dump", "--json", "--store", "hub-copy.db"]) == c.cli.ok(["dump", "--json", "--store", "hub.db"]))
        #expect(try c.cli.run(["backup", "hub-copy.db", "--store", "hub.db"]).status != 0, "never overwrites a backup")
        try c.cli.ok(["hub", "remove-unit", "jxj", "--store", "hub.db"])
        Thread.sleep(forTimeInterval: 1.1)
        let r = try c.cli.run(["sync", "--store", "jxj.db"])
        #expect(r.status != 0 && r.stderr.contains("refused this unit's token"))
    }
}
