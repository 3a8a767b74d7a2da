@testable import BanliHub
import BanliCore
import BanliOps
import BanliProtocol
import BanliStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing

/// The hub's two listeners, served in process over a temporary SQLite hub store.
final class HubRoutesTests: Sendable {
    let dir: String
    let store: Store
    let jxj: String
    let mzj: String
    let now = HybridLogicalClock.wallMilliseconds()

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("banli-routes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try Store.create(at: dir + "/hub.db", site: "hub", name: "督查室", hubSite: "hub", isHub: true)
        jxj = try store.addUnit(site: "jxj", name: "市经信局")
        mzj = try store.addUnit(site: "mzj", name: "市民政局")
        try store.write([
            LocalWrite(.item(id: "rd-2025-39"), "title", .string("关于加快老旧小区改造的建议")),
            LocalWrite(.assignment(item: "rd-2025-39", site: "jxj"), "role", .string("lead")),
        ])
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func makeHub(adminListen: String = "127.0.0.1:8481", maxBodyBytes: Int = 8 << 20) throws -> HubServer {
        var settings = HubSettings(listen: try ListenAddress(parsing: "127.0.0.1:8480", option: "listen"),
                                   adminListen: try ListenAddress(parsing: adminListen, option: "admin_listen"))
        settings.maxBodyBytes = maxBodyBytes
        return HubServer(storage: try SQLiteHubStorage(store), settings: settings, logger: Logger(label: "test"),
                         metrics: HubMetrics(registry: PrometheusCollectorRegistry()))
    }

    /// Serves the bureaus' listener in process.
    func withSync<T: Sendable>(_ hub: HubServer, _ test: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await Application(router: try await hub.routers().sync).test(.router, test)
    }

    func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    func syncBody(site: String, cursor: Int64 = 0, changes: [ReplicatedField] = []) -> ByteBuffer {
        let rows = changes.map { StoredFieldRow($0, hubSite: "hub") }
        let request = SyncRequest(site: site, storeId: "ab12", cursor: cursor, pushMark: 0, pushThrough: changes.isEmpty ? 0 : 1, changes: rows,
                                  limit: 500, backlog: 0, clientTime: now, resync: false)
        return ByteBuffer(string: request.json())
    }

    func progress(_ text: String) throws -> ReplicatedField {
        var state = FieldState()
        state.write(.string(text), dot: Dot(site: "jxj", counter: HybridLogicalClock.pack(milliseconds: now)))
        return ReplicatedField(entity: .assignment(item: "rd-2025-39", site: "jxj"), spec: try FieldCatalogue.require(.assignment, "progress"), state: state)
    }

    func error(_ r: TestResponse) -> String? {
        guard case .object(let o)? = try? JSONValue.parse(String(buffer: r.body)) else { return nil }
        return o["error"]?.stringValue
    }

    @Test func aValidPushIsStoredAndPulled() async throws {
        let hub = try makeHub()
        let pushed = try progress("已召开协调会")
        let body = syncBody(site: "jxj", changes: [pushed])
        let token = jxj
        let answer = try await withSync(hub) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: self.bearer(token), body: body)
        }
        #expect(answer.status == .ok)
        let response = try SyncResponse(bytes: Array(answer.body.readableBytesView))
        #expect(response.accepted == 1)
        #expect(response.hubId == store.info.storeId)
        #expect(response.changes.contains { $0.entity == .item(id: "rd-2025-39") && $0.field == "title" })
        #expect(!response.changes.contains { $0.field == "progress" }, "its own push is not sent back")
        #expect(try store.field(.assignment(item: "rd-2025-39", site: "jxj"), "progress")?.visibleValue(hubSite: "hub") == .string("已召开协调会"))
    }

    @Test func requestsWithoutAValidTokenAreRefused() async throws {
        let hub = try makeHub()
        let body = syncBody(site: "jxj")
        try await withSync(hub) { client in
            let none = try await client.execute(uri: "/v1/sync", method: .post, headers: [.contentType: "application/json"], body: body)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer realm=\"banli\"")
            #expect(self.error(none)?.contains("Missing bearer token") == true)
            let wrong = try await client.execute(uri: "/v1/sync", method: .post, headers: self.bearer("bnl_not-a-token"), body: body)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.wwwAuthenticate] != nil)
        }
        #expect(try store.unitStatuses().isEmpty, "a refused token touches no unit's bookkeeping")
    }

    @Test func aUnitMaySyncOnlyAsItself() async throws {
        let hub = try makeHub()
        let body = syncBody(site: "jxj")
        let token = mzj
        let answer = try await withSync(hub) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: self.bearer(token), body: body)
        }
        #expect(answer.status == .forbidden)
        #expect(error(answer)?.contains("belongs to unit 'mzj'") == true)
        let recorded = try store.unitStatuses()["mzj"]?.lastError.map(UnitFailure.init(stored:))
        #expect(recorded == .wrongSite(tokenSite: "mzj", claimed: "jxj"), "shown as the unit's failure")
    }

    @Test func aMalformedBodyIsOneSentence() async throws {
        let hub = try makeHub()
        let token = jxj
        let answer = try await withSync(hub) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: self.bearer(token), body: ByteBuffer(string: "[1,2]"))
        }
        #expect(answer.status == .badRequest)
        let message = try #require(error(answer))
        #expect(message == "The request body must be a JSON object.")
        #expect(try store.unitStatuses()["jxj"]?.lastError.map(UnitFailure.init(stored:)) == .malformedRequest(detail: message))
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        let hub = try makeHub(maxBodyBytes: 1_000)
        let token = jxj
        let body = syncBody(site: "jxj", changes: try (1...20).map { try progress(String(repeating: "进展", count: 20) + "\($0)") })
        #expect(body.readableBytes > 1_000)
        let answer = try await withSync(hub) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: self.bearer(token), body: body)
        }
        #expect(answer.status == .contentTooLarge)
        #expect(error(answer)?.contains("larger than 1000 bytes") == true)
        #expect(try store.field(.assignment(item: "rd-2025-39", site: "jxj"), "progress") == nil)
    }

    @Test func waitAnswersAtOnceWhenSomethingChangedAndTimesOutOtherwise() async throws {
        let hub = try makeHub()
        let head = try store.counters().seq
        let token = jxj
        try await withSync(hub) { client in
            let started = Date()
            let changed = try await client.execute(uri: "/v1/wait?cursor=0&timeout=30", method: .get, headers: self.bearer(token))
            #expect(changed.status == .ok)
            #expect(String(buffer: changed.body) == "{\"cursor\":\(head),\"changed\":true}\n")
            #expect(Date().timeIntervalSince(started) < 5)
            let quiet = try await client.execute(uri: "/v1/wait?cursor=\(head)&timeout=0.3", method: .get, headers: self.bearer(token))
            #expect(String(buffer: quiet.body) == "{\"cursor\":\(head),\"changed\":false}\n")
            #expect(Date().timeIntervalSince(started) >= 0.3)
            let bad = try await client.execute(uri: "/v1/wait", method: .get, headers: self.bearer(token))
            #expect(bad.status == .badRequest)
        }
    }

    @Test func aWaitingUnitIsWokenByAnotherUnitsPush() async throws {
        try store.write(.assignment(item: "rd-2025-39", site: "mzj"), "role", .string("assisting"))
        let head = try store.counters().seq
        let hub = try makeHub()
        let body = syncBody(site: "jxj", changes: [try progress("已走访")])
        let (jxj, mzj) = (self.jxj, self.mzj)
        try await withSync(hub) { client in
            let started = Date()
            async let waited = client.execute(uri: "/v1/wait?cursor=\(head)&timeout=20", method: .get, headers: self.bearer(mzj))
            try await Task.sleep(for: .milliseconds(300))
            let push = try await client.execute(uri: "/v1/sync", method: .post, headers: self.bearer(jxj), body: body)
            #expect(push.status == .ok)
            let woken = try await waited
            #expect(String(buffer: woken.body) == "{\"cursor\":\(head + 1),\"changed\":true}\n")
            #expect(Date().timeIntervalSince(started) < 10, "woken by the push, not by the timeout")
        }
    }

    @Test func healthAndWrongMethods() async throws {
        let hub = try makeHub()
        try await withSync(hub) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(String(buffer: health.body) == "{\"status\":\"ok\"}\n")
            let wrong = try await client.execute(uri: "/v1/sync", method: .get)
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "POST")
            let missing = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(missing.status == .notFound)
        }
    }

    @Test func theAdminStatusNeedsAnOperatorTokenOffLoopback() async throws {
        let token = try store.addOperator(name: "it-staff")
        let hub = try makeHub(adminListen: "0.0.0.0:8481")
        try await Application(router: try await hub.routers().admin).test(.router) { client in
            let none = try await client.execute(uri: "/v1/status", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Basic realm=\"banli-admin\"") == true)
            let wrong = try await client.execute(uri: "/v1/status", method: .get, headers: [.authorization: "Bearer bnlop_wrong"])
            #expect(wrong.status == .unauthorized)
            let ok = try await client.execute(uri: "/v1/status", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(ok.status == .ok)
            guard case .object(let o)? = try? JSONValue.parse(String(buffer: ok.body)), case .array(let units)? = o["units"] else {
                Issue.record("the status is a JSON object with units")
                return
            }
            #expect(units.count == 2)
            let basic = Data("it-staff:\(token)".utf8).base64EncodedString()
            let page = try await client.execute(uri: "/status", method: .get, headers: [.authorization: "Basic \(basic)"])
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("市经信局"))
        }
    }

    @Test func theAdminListenerOnLoopbackNeedsNoToken() async throws {
        let hub = try makeHub()
        try await Application(router: try await hub.routers().admin).test(.router) { client in
            let ok = try await client.execute(uri: "/v1/status", method: .get)
            #expect(ok.status == .ok)
        }
    }
}
