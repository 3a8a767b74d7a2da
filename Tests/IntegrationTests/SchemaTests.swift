import Foundation
import Testing

/// schemathesis (PyPI) drives the live hub from docs/openapi.yaml: no 5xx, and every response
/// conforms to the spec (status codes, headers, bodies, 405 with Allow, invalid input refused).
@Suite(.serialized) struct SchemaTests {
    @Test(arguments: HubBackend.allCases) func liveHubConformsToTheOpenAPISpec(backend: HubBackend) throws {
        let st = try TestTool.schemathesis.path()
        let c = try Cluster(units: ["jxj"], backend: backend)
        try c.cli.ok(["item", "new", "rd-2025-1", "--kind", "建议", "--number", "1", "--year", "2025", "--title", "t"] + c.atHub)
        try c.cli.ok(["item", "assign", "rd-2025-1", "jxj", "--role", "lead"] + c.atHub)
        try c.startHub()
        defer { c.stopHub() }
        let spec = repositoryRoot.appendingPathComponent("docs/openapi.yaml").path
        let runs: [(String, [String])] = [
            ("http://127.0.0.1:\(c.port)", ["--include-path-regex", "^/(v1/sync|v1/wait|healthz)$", "-H", "Authorization: Bearer \(try c.token("jxj"))"]),
            ("http://127.0.0.1:\(c.adminPort)", ["--include-path-regex", "^/(v1/status|status|metrics)$"]),
        ]
        for (url, extra) in runs {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: st)
            p.arguments = ["run", spec, "-u", url, "-n", "25", "--checks", "all", "--max-response-time", "65", "--request-timeout", "70",
                           "--seed", "1"] + extra
            p.currentDirectoryURL = URL(fileURLWithPath: c.dir)
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "schemathesis against \(url):\n\(text.suffix(3000))")
            // Passing must mean tested: every operation the filter selected was exercised.
            func count(_ label: String) -> Int? {
                text.range(of: label + #" *[0-9]+"#, options: .regularExpression).flatMap { Int(text[$0].split(separator: " ").last!) }
            }
            let selected = count("Selected:"), tested = count("Tested:")
            #expect((selected ?? 0) >= 3 && tested == selected, "\(url): selected \(String(describing: selected)), tested \(String(describing: tested))")
        }
        #expect(!c.hubLog().contains("request failed"), "no handler failed: \(c.hubLog().suffix(2000))")
    }
}
