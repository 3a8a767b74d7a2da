import BanliSync
import Foundation
import Testing

/// Slow connections against the workbench: a stalled head, a trickling body and an idle kept-alive connection each end at
/// their `[connections]` deadline, and the workbench keeps answering.
struct WorkbenchConnectionsTests {
    @Test func slowAndIdleConnectionsAreClosedAtTheirDeadlines() throws {
        let cluster = try Cluster(units: ["jxj"])
        let config = cluster.dir + "/web.toml"
        try "[connections]\nheader_timeout = 1\nidle_timeout = 1\nbody_timeout = 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bureau = Workbench(cluster, store: "jxj")
        try bureau.addUser("li", role: "clerk")
        try bureau.start(extraArguments: ["--config", config])
        defer { bureau.stop() }

        let stalled = try RawConnection(port: bureau.port)
        stalled.send("POST /login HTTP/1.1\r\n")
        let body = try RawConnection(port: bureau.port)
        body.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname=")
        let idle = try RawConnection(port: bureau.port)
        idle.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for (what, connection) in [("a stalled head", stalled), ("a trickling body", body), ("an idle connection", idle)] {
            let answer = connection.readUntilClosed(timeout: 10)
            #expect(answer.closed, "\(what) is closed at its deadline: \(answer.text.prefix(200))")
        }
        let health = try CurlTransport(baseURL: bureau.url, token: "none").get("/healthz", extraTimeout: 0, cancel: nil)
        #expect(health.status == 200, "the workbench still answers")
    }
}
