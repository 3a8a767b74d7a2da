import BanliCore
import BanliProtocol
import BanliStore
import BanliSync
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport

/// The choice among a hub's URLs, one event at a time, as `BureauSyncMachineTests` drives the sync machine.
@Suite struct HubURLRotationTests {
    typealias R = HubURLRotation

    @Test func aFailureMovesToTheNextURLAtOnceAndASuccessStaysThere() {
        var r = R(count: 3)
        #expect(r.current == 0)
        #expect(r.failed(.unreachable) == .tryURL(1))
        #expect(r.current == 1 && r.failedInRow == 1 && r.lastFailure == .unreachable)
        r.succeeded()
        #expect(r.current == 1 && r.failedInRow == 0, "it stays on the URL that answered")
        r.succeeded()
        #expect(r.current == 1, "and does not go back to the first because it is first")
    }

    @Test func everyURLFailingInARowIsAllFailedAndTheNextAttemptStartsWhereThisOneDid() {
        var r = R(count: 3, start: 1)
        #expect(r.failed(.unreachable) == .tryURL(2))
        #expect(r.failed(.unavailable(status: 503)) == .tryURL(0))
        #expect(r.failed(.unreachable) == .allFailed)
        #expect(r.current == 1 && r.failedInRow == 0, "back at the URL that worked last, with a fresh round")
        #expect(r.failed(.unreachable) == .tryURL(2), "the next attempt moves on again")
    }

    @Test func oneURLFailsAtOnceAndStays() {
        var r = R(count: 1)
        #expect(r.failed(.unreachable) == .allFailed)
        #expect(r.current == 0)
    }

    @Test func aSuccessInTheMiddleStartsTheCountAgain() {
        var r = R(count: 2)
        #expect(r.failed(.unreachable) == .tryURL(1))
        r.succeeded()
        #expect(r.failed(.unreachable) == .tryURL(0), "the other URL gets its turn: the count restarted with the success")
        #expect(r.failed(.unreachable) == .allFailed)
    }

    @Test func aStartOutsideTheListIsTheFirstURL() {
        #expect(R(count: 2, start: 5).current == 0)
        #expect(R(count: 2, start: -1).current == 0)
    }

    @Test func only502503And504MeanNotThere() {
        for status in [502, 503, 504] { #expect(R.failure(status: status) == .unavailable(status: status)) }
        for status in [200, 400, 401, 403, 404, 409, 413, 429, 500, 501, 505] {
            #expect(R.failure(status: status) == nil, "\(status) is the hub answering")
        }
    }
}

/// A transport that answers or fails as told, counting its requests.
final class ScriptedTransport: Transport, @unchecked Sendable {
    enum Behaviour { case answer(Int), refuse }
    let baseURL: String
    let behaviour: Mutex<Behaviour>
    let requests = Mutex(0)

    init(_ url: String, _ behaviour: Behaviour) {
        baseURL = url
        self.behaviour = Mutex(behaviour)
    }

    func post(_ path: String, json: String) throws -> HTTPResult { try respond() }
    func get(_ path: String, extraTimeout: Double, cancel: CancelFlag?) throws -> HTTPResult { try respond() }

    private func respond() throws -> HTTPResult {
        requests.withLock { $0 += 1 }
        switch behaviour.withLock({ $0 }) {
        case .refuse: throw BanliError(.unreachable, "The hub at \(baseURL) is unreachable (Connection refused); check that it is running.")
        case .answer(let status): return HTTPResult(status: status, body: Array("{\"error\":\"status \(status)\"}".utf8))
        }
    }
}

@Suite struct FailoverTransportTests {
    let a = ScriptedTransport("http://a:1", .refuse)
    let b = ScriptedTransport("http://b:1", .answer(200))
    let c = ScriptedTransport("http://c:1", .answer(200))

    func failover(start: Int = 0) -> FailoverTransport {
        let all = [a, b, c]
        return FailoverTransport(urls: all.map(\.baseURL), start: start) { url in all.first { $0.baseURL == url }! }
    }

    @Test func aRefusedURLIsSkippedWithinTheSameRequestAndTheWorkingOneKept() throws {
        let t = failover()
        #expect(try t.post("/v1/sync", json: "{}").status == 200)
        #expect(t.baseURL == "http://b:1")
        for _ in 0..<5 { _ = try t.post("/v1/sync", json: "{}") }
        #expect(a.requests.withLock { $0 } == 1, "the dead URL was tried once, not at every request")
        #expect(b.requests.withLock { $0 } == 6 && c.requests.withLock { $0 } == 0)
    }

    @Test func aProxyAnswering503IsFailedOverButA409IsTheHubSpeaking() throws {
        a.behaviour.withLock { $0 = .answer(503) }
        let t = failover()
        #expect(try t.post("/v1/sync", json: "{}").status == 200 && t.baseURL == "http://b:1")
        b.behaviour.withLock { $0 = .answer(409) }
        #expect(try t.post("/v1/sync", json: "{}").status == 409, "a 409 goes back to the engine as it is")
        #expect(t.baseURL == "http://b:1" && c.requests.withLock { $0 } == 0)
        b.behaviour.withLock { $0 = .answer(401) }
        #expect(try t.post("/v1/sync", json: "{}").status == 401 && c.requests.withLock { $0 } == 0)
    }

    @Test func whenTheURLInUseDiesTheNextOneTakesOverAndTheFirstIsNotRetriedFirst() throws {
        let t = failover(start: 1)
        _ = try t.post("/v1/sync", json: "{}")
        b.behaviour.withLock { $0 = .refuse }
        #expect(try t.post("/v1/sync", json: "{}").status == 200)
        #expect(t.baseURL == "http://c:1" && a.requests.withLock { $0 } == 0, "from b it moves on to c, not back to a")
    }

    @Test func everyURLDownThrowsOneSentenceNamingTheLast() throws {
        b.behaviour.withLock { $0 = .refuse }
        c.behaviour.withLock { $0 = .refuse }
        let t = failover()
        let e = try #require(throws: BanliError.self) { try t.post("/v1/sync", json: "{}") }
        #expect(e.code == .unreachable && e.exitCode == 3)
        #expect(e.message.hasPrefix("None of the 3 hub URLs answered; the last: The hub at http://c:1 is unreachable"), "\(e.message)")
        #expect([a, b, c].allSatisfy { $0.requests.withLock { $0 } == 1 }, "each URL once per attempt: no loop")
        #expect(t.baseURL == "http://a:1", "the next attempt starts where this one did")
    }

    @Test func aSwitchIsLoggedOnceWhenTheNextURLAnswersAndNeverWhileEveryURLIsDown() throws {
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in lines }
        let all = [a, b, c]
        b.behaviour.withLock { $0 = .refuse }
        c.behaviour.withLock { $0 = .refuse }
        let t = FailoverTransport(urls: all.map(\.baseURL), logger: logger) { url in all.first { $0.baseURL == url }! }
        for _ in 0..<3 { _ = try? t.post("/v1/sync", json: "{}") }
        #expect(lines.all.isEmpty, "a hub down at every URL is the caller's failure line, not switches: \(lines.all)")
        c.behaviour.withLock { $0 = .answer(200) }
        for _ in 0..<3 { _ = try t.post("/v1/sync", json: "{}") }
        #expect(lines.all == ["notice: switched to hub URL http://c:1: the previous one failed: "
                              + "The hub at http://a:1 is unreachable (Connection refused); check that it is running."])
    }

    @Test func everyURLAnswering503GivesBackTheLastAnswer() throws {
        for s in [a, b, c] { s.behaviour.withLock { $0 = .answer(503) } }
        let t = failover()
        #expect(try t.post("/v1/sync", json: "{}").status == 503)
        #expect([a, b, c].allSatisfy { $0.requests.withLock { $0 } == 1 })
    }

    @Test func oneURLIsItsTransportUnchanged() throws {
        let t = FailoverTransport(urls: [a.baseURL]) { _ in a }
        let e = try #require(throws: BanliError.self) { try t.post("/v1/sync", json: "{}") }
        #expect(e.message == "The hub at http://a:1 is unreachable (Connection refused); check that it is running.")
    }

    @Test func aCancelledLongPollIsNotAFailover() throws {
        let cancel = CancelFlag()
        cancel.cancel()
        let t = failover()
        #expect(throws: BanliError.self) { try t.get("/v1/wait", extraTimeout: 1, cancel: cancel) }
        #expect(t.baseURL == "http://a:1" && b.requests.withLock { $0 } == 0)
    }

    @Test func theEngineSyncsThroughTheSecondURLAndRecordsIt() throws {
        let dir = NSTemporaryDirectory() + "banli-failover-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hub = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        _ = try hub.addUnit(site: "jxj", name: "市经信局")
        try hub.write([LocalWrite(entity: .item(id: "rd-2025-1"), field: "title", value: .string("建议"))])
        try hub.write([LocalWrite(entity: .assignment(item: "rd-2025-1", site: "jxj"), field: "role", value: .string("lead"))])
        let jxj = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市经信局", hubSite: "hub", isHub: false)
        let live = InProcessTransport(hub: hub, unit: "jxj")
        let t = FailoverTransport(urls: [a.baseURL, "inprocess://hub"]) { $0 == a.baseURL ? a as any Transport : live }
        let report = try SyncEngine(store: jxj, transport: t).syncOnce()
        #expect(report.pulled > 0 && a.requests.withLock { $0 } == 1)
        #expect(try jxj.field(.item(id: "rd-2025-1"), "title")?.visibleValue(hubSite: "hub") == .string("建议"))
        #expect(try jxj.setting(SyncEngine.hubURLInUseSetting) == "inprocess://hub", "banli status and the next start read it")
    }
}

/// Collects log lines as "level: message".
final class LogLines: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var all: [String] { lines.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.level): \(event.message)") }
    }
}

/// Lists of hub URLs as a person writes them.
@Suite struct HubURLListTests {
    let key = "b.toml line 3, key 'hub_url'"

    @Test func aListIsCheckedElementByElementAndAsAWhole() throws {
        #expect(try HubURL.validateList(["https://a:8480/", "https://b:8480"], key: key, allowPlainHTTP: false) == ["https://a:8480", "https://b:8480"])
        let empty = try #require(throws: BanliError.self) { try HubURL.validateList([], key: key, allowPlainHTTP: false) }
        #expect(empty.message.hasPrefix("b.toml line 3, key 'hub_url': the list is empty; give at least one hub URL") && empty.exitCode == 2)
        let twice = try #require(throws: BanliError.self) {
            try HubURL.validateList(["https://a:8480", "https://a:8480/"], key: key, allowPlainHTTP: false)
        }
        #expect(twice.message == "b.toml line 3, key 'hub_url': https://a:8480 is listed twice; give each hub URL once.")
        let mixed = try #require(throws: BanliError.self) {
            try HubURL.validateList(["https://a:8480", "http://127.0.0.1:8480"], key: key, allowPlainHTTP: false)
        }
        #expect(mixed.message.contains("mixes https:// and http:// URLs") && mixed.message.contains("allow_plain_http = true"))
        #expect(try HubURL.validateList(["https://a:8480", "http://b:8480"], key: key, allowPlainHTTP: true).count == 2)
        let bad = try #require(throws: BanliError.self) { try HubURL.validateList(["https://a:8480", "ftp://b"], key: key, allowPlainHTTP: false) }
        #expect(bad.message.hasPrefix("b.toml line 3, key 'hub_url': element 2 ('ftp://b') is not a hub URL;"))
    }

    @Test func theStoredFormOfOneURLIsThatURL() {
        #expect(HubURL.storedForm(["https://a:8480"]) == "https://a:8480")
        #expect(HubURL.list(stored: "https://a:8480") == ["https://a:8480"], "a value stored before failover reads as one URL")
        #expect(HubURL.list(stored: HubURL.storedForm(["https://a:8480", "https://b:8480"])) == ["https://a:8480", "https://b:8480"])
    }

    @Test func oneFlagKeepsItsSentence() {
        let e = try? #require(throws: BanliError.self) { try HubURL.validateFlags(["ftp://hub"], allowPlainHTTP: false) }
        #expect(e?.message == "'ftp://hub' is not a hub URL; use http://HOST:PORT or https://HOST:PORT (ASCII, no spaces or quotes).")
    }

    @Test func hostileElementsAreRefusedWithASentenceNeverACrash() throws {
        var hostile = HostileStrings(seed: 16)
        for n in 0..<500 {
            let s = hostile.next()
            // Behind a valid scheme, so the element is refused for what it holds, not for its start.
            let element = (n % 2 == 0 ? "https://" : "") + s
            do {
                let urls = try HubURL.validateList(["https://a:8480", element], key: key, allowPlainHTTP: true)
                // Whatever passes holds only URL characters: no quote, backslash, space, control or escape.
                #expect(urls[1].unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7f && !"\"\\<>`{}|^".unicodeScalars.contains($0) },
                        "\(urls[1].debugDescription)")
            } catch let e as BanliError {
                #expect(e.exitCode == 2 && e.message.hasPrefix(key + ": ") && e.message.hasSuffix("."), "\(e.message.debugDescription)")
            }
        }
    }
}
