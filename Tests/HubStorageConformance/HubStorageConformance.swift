import BanliCore
import BanliHubStorage
import BanliProtocol
import Foundation
import Testing

/// Makes fresh hub storages for the conformance checks: one per backend (SQLite today, PostgreSQL next).
public protocol HubStorageFactory: Sendable {
    /// A new, empty hub storage whose hub site is `hub`, with `units` registered (each with a directory name).
    func makeHub(units: [String]) async throws -> HubStorageFixture
}

/// A fresh hub storage, the tokens its units were issued, and the office's own writes to it.
public struct HubStorageFixture: Sendable {
    public var storage: any HubStorage
    /// Each registered unit's token, by site.
    public var tokens: [String: String]
    /// Writes as the office does (`banli item …` at the hub): an assignment's fields grant its unit access
    /// to the item, `active = false` revokes it.
    public var officeWrite: @Sendable ([LocalWrite], UInt64) async throws -> Void

    public init(storage: any HubStorage, tokens: [String: String], officeWrite: @escaping @Sendable ([LocalWrite], UInt64) async throws -> Void) {
        self.storage = storage
        self.tokens = tokens
        self.officeWrite = officeWrite
    }
}

/// One behaviour every hub storage must show, checked only through `HubStorage`.
public struct HubStorageCheck: Sendable, CustomStringConvertible {
    public let description: String
    let body: @Sendable (any HubStorageFactory) async throws -> Void

    init(_ description: String, _ body: @escaping @Sendable (any HubStorageFactory) async throws -> Void) {
        self.description = description
        self.body = body
    }

    /// Runs the check on a fresh storage from `factory`; failures are recorded with Swift Testing's `#expect`.
    public func run(_ factory: any HubStorageFactory) async throws {
        try await body(factory)
    }
}

/// The conformance suite: run every check against a backend, e.g. `@Test(arguments: HubStorageConformance.checks)`.
public enum HubStorageConformance {
    public static let checks: [HubStorageCheck] = [
        pushIsPulledByAssignedUnitsOnly, cursorAndMorePaging, echoSuppressionAndItsUndo, cursorAheadOfTheHubResyncs,
        pushMarkAheadGetsTheHubsMark, revokedAccessStopsAtItsChangeNumber, hasChangesForTheLongPoll, tokenHashesPerUnit,
        bookkeepingIsVisibleInUnitStatuses, flushesNeverMakeAQuietExchangeLookRestored, refusalsAreCounted,
        aFeedbackLinkIsUsedOnceWithItsWrites, revokedAndExpiredFeedbackLinksOpenNothing,
        reminderSendsAreClaimedOnce,
    ]

    static let item = "rd-2025-39"
    static let other = "rd-2025-40"

    /// The hub's wall clock for a check: now, so units' counters are within the hub's clock bound.
    static func clock() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    /// A hub with units jxj, fgw and mzj, and `item` assigned to jxj (lead) and fgw (assisting).
    static func assignedHub(_ factory: any HubStorageFactory, at now: UInt64) async throws -> HubStorageFixture {
        let hub = try await factory.makeHub(units: ["fgw", "jxj", "mzj"])
        try await hub.officeWrite([
            LocalWrite(.item(id: item), "title", .string("关于加快老旧小区改造的建议")),
            LocalWrite(.assignment(item: item, site: "jxj"), "role", .string("lead")),
            LocalWrite(.assignment(item: item, site: "fgw"), "role", .string("assisting")),
            LocalWrite(.item(id: other), "title", .string("关于增设公交线路的建议")),
            LocalWrite(.assignment(item: other, site: "mzj"), "role", .string("sole")),
        ], now)
        return hub
    }

    /// A unit's own write of `field` on its assignment to `item`, as its bureau pushes it.
    static func unitWrite(_ unit: String, _ item: String, _ field: String, _ value: String, at now: UInt64) throws -> PushedChange {
        let entity = EntityKey.assignment(item: item, site: unit)
        var state = FieldState()
        state.write(.string(value), dot: Dot(site: unit, counter: HybridLogicalClock.pack(milliseconds: now)))
        return .state(ReplicatedField(entity: entity, spec: try FieldCatalogue.require(entity.kind, field), state: state))
    }

    static func exchange(
        _ storage: any HubStorage, _ unit: String, cursor: Int64 = 0, pushMark: Int64 = 0, pushThrough: Int64 = 0, exchangeNumber: Int64 = 0,
        resync: Bool = false, changes: [PushedChange] = [], limit: Int = 500, backlog: Int = 0, clientVersion: String? = nil, at now: UInt64
    ) async throws -> HubExchange {
        try await storage.exchange(HubExchangeRequest(
            unit: unit, cursor: cursor, pushMark: pushMark, pushThrough: pushThrough, exchangeNumber: exchangeNumber, resyncRequested: resync,
            changes: changes, limit: limit, report: UnitReport(clientVersion: clientVersion, backlog: backlog, clockOffsetMs: nil, storeId: nil),
            nowMilliseconds: now))
    }

    /// The field states an exchange sends, read as the bureau reads them off the wire.
    static func pulled(_ x: HubExchange, from storage: any HubStorage) throws -> [ReplicatedField] {
        let body = SyncResponse(exchange: x, hubId: storage.hubId, hubTime: 0).json(hubSite: storage.hubSite)
        return try SyncResponse(bytes: Array(body.utf8)).changes
    }

    /// The visible value of `field` of `entity` among `fields`, if sent.
    static func value(_ fields: [ReplicatedField], _ entity: EntityKey, _ field: String, hubSite: String) -> JSONValue? {
        fields.first { $0.entity == entity && $0.field == field }?.visibleValue(hubSite: hubSite)
    }

    static let pushIsPulledByAssignedUnitsOnly = HubStorageCheck("a push is accepted and pulled by the item's other units, not by others") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let write = try unitWrite("jxj", item, "progress", "已召开协调会", at: now)
        let push = try await exchange(s, "jxj", pushThrough: 1, exchangeNumber: 1, changes: [write], at: now)
        #expect(push.accepted == 1)
        #expect(push.rejected.isEmpty)
        #expect(push.changedHub)
        #expect(push.pushMark == 1)
        let progress = EntityKey.assignment(item: item, site: "jxj")
        let fgw = try pulled(try await exchange(s, "fgw", at: now), from: s)
        #expect(value(fgw, progress, "progress", hubSite: s.hubSite) == .string("已召开协调会"))
        #expect(value(fgw, .item(id: item), "title", hubSite: s.hubSite) == .string("关于加快老旧小区改造的建议"))
        let mzj = try pulled(try await exchange(s, "mzj", at: now), from: s)
        #expect(!mzj.contains { $0.entity.itemId == item }, "a unit not assigned the item receives nothing of it")
        #expect(value(mzj, .item(id: other), "title", hubSite: s.hubSite) == .string("关于增设公交线路的建议"))
        #expect(mzj.contains { $0.entity == .unit(site: "jxj") && $0.field == "name" }, "every unit receives the directory")
    }

    static let cursorAndMorePaging = HubStorageCheck("pages of at most `limit` changes, with `more` until the head, make up one whole pull") { factory in
        let now = clock()
        let hub = try await factory.makeHub(units: ["jxj"])
        let s = hub.storage
        // Assigned before they are written, so no page sends an item's older rows again with its grant.
        let ids = (101...107).map { "rd-2025-\($0)" }
        try await hub.officeWrite(ids.map { LocalWrite(.assignment(item: $0, site: "jxj"), "role", .string("sole")) }
            + ids.map { LocalWrite(.item(id: $0), "title", .string("建议\($0)")) }, now)
        let whole = try await exchange(s, "jxj", limit: 5_000, at: now)
        #expect(!whole.more)
        #expect(whole.cursor == (try await s.headChangeNumber()))
        let all = try pulled(whole, from: s)
        #expect(all.count >= 14)
        var cursor: Int64 = 0, paged: [ReplicatedField] = [], pages = 0
        while pages < 100 {
            let page = try await exchange(s, "jxj", cursor: cursor, exchangeNumber: Int64(pages + 1), limit: 4, at: now)
            let fields = try pulled(page, from: s)
            #expect(fields.count <= 4)
            #expect(page.more ? page.cursor > cursor : page.cursor == whole.cursor)
            paged += fields
            cursor = page.cursor
            pages += 1
            if !page.more { break }
        }
        #expect(pages == (all.count + 3) / 4, "full pages until the last")
        func keys(_ f: [ReplicatedField]) -> [String] { f.map { "\($0.entity)/\($0.field)" }.sorted() }
        #expect(keys(paged) == keys(all), "the pages hold each change once, and together the whole pull")
    }

    static let echoSuppressionAndItsUndo = HubStorageCheck("a unit's own push is not sent back, unless it asks from an older exchange") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let entity = EntityKey.assignment(item: item, site: "jxj")
        let first = try await exchange(s, "jxj", exchangeNumber: 0, at: now)
        let push = try await exchange(s, "jxj", cursor: first.cursor, pushThrough: 1, exchangeNumber: 1,
                                      changes: [unitWrite("jxj", item, "handler", "张三", at: now)], at: now)
        #expect(push.accepted == 1)
        #expect(value(try pulled(push, from: s), entity, "handler", hubSite: s.hubSite) == nil, "not echoed in its own answer")
        let confirmed = try await exchange(s, "jxj", cursor: 0, pushMark: 1, pushThrough: 1, exchangeNumber: 2, at: now)
        #expect(value(try pulled(confirmed, from: s), entity, "handler", hubSite: s.hubSite) == nil, "not sent once the unit has applied that exchange")
        let restored = try await exchange(s, "jxj", cursor: 0, pushMark: 1, pushThrough: 1, exchangeNumber: 1, at: now)
        #expect(value(try pulled(restored, from: s), entity, "handler", hubSite: s.hubSite) == .string("张三"),
                "a unit restored to before that exchange gets its write back")
        let other = try pulled(try await exchange(s, "fgw", at: now), from: s)
        #expect(value(other, entity, "handler", hubSite: s.hubSite) == .string("张三"))
    }

    static let cursorAheadOfTheHubResyncs = HubStorageCheck("a unit's cursor ahead of what the hub handed out makes it resync from 0") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let first = try await exchange(s, "jxj", at: now)
        #expect(!first.resync)
        let ahead = try await exchange(s, "jxj", cursor: first.cursor + 1_000, exchangeNumber: 1, at: now)
        #expect(ahead.resync)
        #expect(value(try pulled(ahead, from: s), .item(id: item), "title", hubSite: s.hubSite) != nil, "the whole store is sent again")
        let asked = try await exchange(s, "jxj", cursor: first.cursor, exchangeNumber: 2, resync: true, at: now)
        #expect(asked.resync)
        let normal = try await exchange(s, "jxj", cursor: first.cursor, exchangeNumber: 3, at: now)
        #expect(!normal.resync)
        #expect(try pulled(normal, from: s).isEmpty)
    }

    static let pushMarkAheadGetsTheHubsMark = HubStorageCheck("a unit's push mark ahead of the hub's record gets the hub's mark back") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let pushed = try await exchange(s, "jxj", pushMark: 0, pushThrough: 3, changes: [unitWrite("jxj", item, "section", "综合科", at: now)], at: now)
        #expect(pushed.pushMark == 3)
        let quiet = try await exchange(s, "jxj", cursor: pushed.cursor, pushMark: 3, pushThrough: 3, exchangeNumber: 1, at: now)
        #expect(quiet.pushMark == 3)
        let ahead = try await exchange(s, "jxj", cursor: pushed.cursor, pushMark: 9, pushThrough: 9, exchangeNumber: 2, at: now)
        #expect(ahead.pushMark == 3, "the hub lost pushes after 3 (restored): the unit pushes again from there")
    }

    static let revokedAccessStopsAtItsChangeNumber = HubStorageCheck("a reassigned unit receives the item up to its revocation, nothing after") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let first = try await exchange(s, "fgw", at: now)
        try await hub.officeWrite([LocalWrite(.item(id: item), "category", .string("城建"))], now)
        try await hub.officeWrite([LocalWrite(.assignment(item: item, site: "fgw"), "active", .bool(false))], now)
        let revokedAt = try await s.headChangeNumber()
        try await hub.officeWrite([LocalWrite(.item(id: item), "supervisor", .string("王副市长"))], now)
        #expect(!(try await s.hasChanges(for: "fgw", after: revokedAt)), "changes after the revocation do not wake the unit")
        let after = try pulled(try await exchange(s, "fgw", cursor: first.cursor, exchangeNumber: 1, at: now), from: s)
        #expect(value(after, .item(id: item), "category", hubSite: s.hubSite) == .string("城建"))
        #expect(value(after, .assignment(item: item, site: "fgw"), "active", hubSite: s.hubSite) == .bool(false))
        #expect(value(after, .item(id: item), "supervisor", hubSite: s.hubSite) == nil)
        let refused = try await exchange(s, "fgw", cursor: revokedAt, exchangeNumber: 2, changes: [unitWrite("fgw", item, "progress", "x", at: now)], at: now)
        #expect(refused.accepted == 0)
        #expect(refused.rejected.count == 1)
        let jxj = try pulled(try await exchange(s, "jxj", at: now), from: s)
        #expect(value(jxj, .item(id: item), "supervisor", hubSite: s.hubSite) == .string("王副市长"), "the units still assigned get it")
    }

    static let hasChangesForTheLongPoll = HubStorageCheck("has-changes sees what a unit may receive, not its own pushes or others' items") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let head = try await s.headChangeNumber()
        #expect(head > 0)
        #expect(try await s.hasChanges(for: "jxj", after: 0))
        #expect(!(try await s.hasChanges(for: "jxj", after: head)))
        try await hub.officeWrite([LocalWrite(.item(id: other), "category", .string("交通"))], now)
        #expect(!(try await s.hasChanges(for: "jxj", after: head)), "another unit's item")
        #expect(try await s.hasChanges(for: "mzj", after: head))
        let mark = try await s.headChangeNumber()
        #expect(mark > head)
        _ = try await exchange(s, "jxj", cursor: mark, pushThrough: 1, exchangeNumber: 1, changes: [unitWrite("jxj", item, "phone", "12345", at: now)], at: now)
        #expect(try await s.headChangeNumber() > mark)
        #expect(!(try await s.hasChanges(for: "jxj", after: mark)), "its own push does not wake the unit")
        #expect(try await s.hasChanges(for: "fgw", after: mark))
    }

    static let tokenHashesPerUnit = HubStorageCheck("one token hash per registered unit, never the token itself") { factory in
        let hub = try await factory.makeHub(units: ["fgw", "jxj", "mzj"])
        let s = hub.storage
        let hashes = try await s.tokenHashes()
        #expect(hashes.map(\.site) == ["fgw", "jxj", "mzj"])
        #expect(try await s.registeredUnits() == ["fgw", "jxj", "mzj"])
        #expect(Set(hashes.map(\.hash)).count == 3)
        for h in hashes {
            #expect(h.hash.count == 64 && h.hash.allSatisfy { "0123456789abcdef".contains($0) }, "SHA-256, lowercase hex")
            #expect(h.hash != hub.tokens[h.site])
        }
        #expect(try await s.operatorTokenHashes().isEmpty)
    }

    /// A link of jxj's reply on `item`, open for a day from `now`, under a fresh token hash.
    static func feedbackLink(at now: UInt64) -> FeedbackLink {
        let hash = String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(repeating: "0", count: 48)
        return FeedbackLink(tokenHash: String(hash.prefix(64)), item: item, unit: "jxj", createdAt: Int64(now), expiresAt: Int64(now) + 86_400_000)
    }

    static let aFeedbackLinkIsUsedOnceWithItsWrites = HubStorageCheck(
        "a feedback link is used once, even by concurrent uses, with its writes, and closes the unit's other links"
    ) { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let link = feedbackLink(at: now), sibling = feedbackLink(at: now)
        var fgw = feedbackLink(at: now)
        fgw.unit = "fgw"
        for l in [link, sibling, fgw] { try await s.addFeedbackLink(l) }
        #expect(try await s.feedbackLink(tokenHash: link.tokenHash) == link)
        #expect(try await s.feedbackLink(tokenHash: String(repeating: "0", count: 64)) == nil)
        let answer = EntityKey.feedback(item: item, site: "jxj")
        // Eight uses at once (on PostgreSQL, eight connections): exactly one lands, with its write.
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<8 {
                group.addTask {
                    try await s.useFeedbackLink(tokenHash: link.tokenHash, nowMilliseconds: Int64(now) + 1_000,
                                                writes: [LocalWrite(answer, "comment", .string("第\(n)份"))])
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try await s.feedbackLink(tokenHash: link.tokenHash)?.usedAt == Int64(now) + 1_000)
        // The office sent jxj's deputy two links (a resend); the answer closes the other, so the reply is rated once.
        #expect(try await s.feedbackLink(tokenHash: sibling.tokenHash)?.revokedAt == Int64(now) + 1_000)
        #expect(try await s.feedbackLink(tokenHash: fgw.tokenHash)?.isUsable(at: Int64(now) + 1_000) == true, "another unit's link stays open")
        let comments = try await s.itemFields(item).filter { $0.entity == answer && $0.field == "comment" }
        #expect(comments.count == 1 && comments[0].state.siblings.count == 1, "one answer, written once")
        #expect(try await s.itemFields("rd-1999-1").isEmpty)
    }

    static let revokedAndExpiredFeedbackLinksOpenNothing = HubStorageCheck("revoked and expired feedback links write nothing") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let revoked = feedbackLink(at: now), expired = feedbackLink(at: now - 86_400_000 - 1)
        var fgw = feedbackLink(at: now)
        fgw.unit = "fgw"
        for l in [revoked, expired, fgw] { try await s.addFeedbackLink(l) }
        // Revoking jxj's links leaves the expired one as it was and another unit's link open.
        #expect(try await s.revokeFeedbackLinks(item: item, unit: "jxj", nowMilliseconds: Int64(now)) == 1)
        #expect(try await s.feedbackLink(tokenHash: revoked.tokenHash)?.revokedAt == Int64(now))
        #expect(try await s.feedbackLink(tokenHash: expired.tokenHash)?.revokedAt == nil)
        #expect(try await s.feedbackLink(tokenHash: fgw.tokenHash)?.isUsable(at: Int64(now)) == true)
        let head = try await s.headChangeNumber()
        let write = [LocalWrite(.feedback(item: item, site: "jxj"), "comment", .string("迟到的意见"))]
        for l in [revoked, expired] {
            #expect(try await !s.useFeedbackLink(tokenHash: l.tokenHash, nowMilliseconds: Int64(now) + 1, writes: write))
        }
        #expect(try await s.headChangeNumber() == head, "nothing written")
    }

    static let bookkeepingIsVisibleInUnitStatuses = HubStorageCheck("failures and quiet exchanges show in unit statuses, before and after a flush") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let first = try await exchange(s, "jxj", clientVersion: "0.2.0", at: now)
        let failure = UnitFailure.wrongSite(tokenSite: "jxj", claimed: "fgw")
        try await s.recordFailure(unit: "jxj", failure: failure, nowMilliseconds: now + 1_000)
        var row = try #require(try await s.unitStatuses()["jxj"])
        #expect(row.lastError.map(UnitFailure.init(stored:)) == failure, "the failure reads back as it was recorded")
        #expect(row.lastContactAt == Int64(now + 1_000))
        #expect(row.lastSuccessAt == Int64(now))
        _ = try await exchange(s, "jxj", cursor: first.cursor, exchangeNumber: 1, backlog: 3, clientVersion: "0.2.1", at: now + 2_000)
        row = try #require(try await s.unitStatuses()["jxj"])
        #expect(row.lastError == nil, "a quiet success clears the failure at once")
        #expect(row.lastContactAt == Int64(now + 2_000))
        #expect(row.lastSuccessAt == Int64(now + 2_000))
        #expect(row.backlog == 3)
        #expect(row.clientVersion == "0.2.1")
        try await s.flushUnitBook()
        #expect(try await s.unitStatuses()["jxj"] == row, "the flush writes what was shown")
        let again = try await exchange(s, "jxj", cursor: first.cursor, pushMark: 0, exchangeNumber: 2, at: now + 3_000)
        #expect(!again.resync, "a flushed quiet exchange keeps the cursor it handed out")
        #expect(try await s.unitStatuses()["fgw"] == nil, "no row before a unit's first exchange")
    }

    static let flushesNeverMakeAQuietExchangeLookRestored = HubStorageCheck("flushes running alongside never make the hub forget a cursor") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        var cursor = try await exchange(s, "jxj", at: now).cursor
        let flusher = Task { () -> String? in
            while !Task.isCancelled {
                do { try await s.flushUnitBook() } catch is CancellationError { return nil } catch { return "\(error)" }
            }
            return nil
        }
        defer { flusher.cancel() }
        for i in 1...40 {
            try await hub.officeWrite([LocalWrite(.item(id: item), "title", .string("标题\(i)"))], now)
            let x = try await exchange(s, "jxj", cursor: cursor, exchangeNumber: Int64(i), at: now + UInt64(i))
            #expect(!x.resync, "round \(i): a flush made the hub forget the cursor it handed out")
            #expect(value(try pulled(x, from: s), .item(id: item), "title", hubSite: s.hubSite) == .string("标题\(i)"))
            cursor = x.cursor
        }
        flusher.cancel()
        #expect(await flusher.value == nil, "the flushes succeed")
    }

    static let refusalsAreCounted = HubStorageCheck("refused changes are answered with reasons and counted per unit") { factory in
        let now = clock()
        let hub = try await assignedHub(factory, at: now)
        let s = hub.storage
        let malformed = PushedChange.malformed(Rejection(entity: "item/x", field: "nope", reason: "unknown field"))
        let x = try await exchange(s, "mzj", pushThrough: 2, changes: [unitWrite("mzj", item, "progress", "越权", at: now), malformed], at: now)
        #expect(x.accepted == 0)
        #expect(x.rejected.count == 2)
        #expect(x.rejected.contains { $0.entity == "assignment/\(item)/mzj" && $0.reason.contains("not assigned") && $0.kind == .access })
        #expect(!x.changedHub)
        #expect(try await s.unitStatuses()["mzj"]?.rejected == 2)
        let ok = try await exchange(s, "mzj", cursor: x.cursor, pushThrough: 3, exchangeNumber: 1,
                                    changes: [unitWrite("mzj", other, "progress", "已办理", at: now)], at: now)
        #expect(ok.accepted == 1)
        #expect(try await s.unitStatuses()["mzj"]?.rejected == 2)
        let jxj = try pulled(try await exchange(s, "jxj", at: now), from: s)
        #expect(value(jxj, .assignment(item: item, site: "mzj"), "progress", hubSite: s.hubSite) == nil, "a refused change never reaches anyone")
    }
}

extension HubStorageConformance {
    static let reminderSendsAreClaimedOnce = HubStorageCheck("a reminder send is claimed by one caller, retried after a failure's time") { factory in
        let hub = try await factory.makeHub(units: ["jxj"])
        guard let log = hub.storage as? any ReminderLog else {
            Issue.record("\(type(of: hub.storage)) does not keep reminder sends (ReminderLog)")
            return
        }
        let (a, b, c) = ("reply/rd-2025-39/jxj/2025-07-01/before-7 webhook", "reply/rd-2025-39/jxj/2025-07-01/before-7 mailto:a@b.cn",
                         "opinion/rd-2025-39/fgw/2025-04-14/overdue-1 webhook")
        let now: Int64 = 1_750_000_000_000, lease: Int64 = 900_000
        #expect(try await log.claimReminders([a, b], nowMilliseconds: now, leaseMilliseconds: lease).sorted() == [b, a].sorted())
        // Two processes at once: each send goes to exactly one of them.
        async let first = log.claimReminders([a, b, c], nowMilliseconds: now, leaseMilliseconds: lease)
        async let second = log.claimReminders([c], nowMilliseconds: now, leaseMilliseconds: lease)
        let (x, y) = try await (first, second)
        #expect((x + y).sorted() == [c], "\(x) \(y)")
        #expect(try await log.markRemindersSent([a], claimedAt: now, nowMilliseconds: now) == 1)
        #expect(try await log.markRemindersFailed([b], claimedAt: now, error: "邮件服务器拒绝了收件人", retryAt: now + 60_000, nowMilliseconds: now) == 1)
        #expect(try await log.reminderFailures(since: now) == ReminderFailures(count: 1, lastError: "邮件服务器拒绝了收件人", lastFailedAt: now))
        // A failure older than the asked window no longer counts (a reminder no longer due is not retried).
        #expect(try await log.reminderFailures(since: now + 1) == ReminderFailures(count: 0, lastError: nil, lastFailedAt: nil))
        #expect(try await log.claimReminders([a, b], nowMilliseconds: now + 59_999, leaseMilliseconds: lease) == [])
        #expect(try await log.claimReminders([a, b], nowMilliseconds: now + 60_000, leaseMilliseconds: lease) == [b])
        #expect(try await log.reminderAttempts([a, b]) == [a: 1, b: 2])
        // A claim left unmarked (the process stopped while sending) is taken over once its lease has passed.
        #expect(try await log.claimReminders([c], nowMilliseconds: now + lease - 1, leaseMilliseconds: lease) == [])
        #expect(try await log.claimReminders([c], nowMilliseconds: now + lease, leaseMilliseconds: lease) == [c])
        #expect(try await log.markRemindersSent([c], claimedAt: now + lease, nowMilliseconds: now + lease) == 1)
        // The process that stalled past its lease wakes and marks its old claim: nothing changes, the send stays sent.
        #expect(try await log.markRemindersFailed([c], claimedAt: now, error: "late", retryAt: now, nowMilliseconds: now + lease + 1) == 0)
        #expect(try await log.markRemindersSent([c], claimedAt: now, nowMilliseconds: now + lease + 1) == 0)
        #expect(try await log.claimReminders([c], nowMilliseconds: now + 3 * lease, leaseMilliseconds: lease) == [], "sent once, never again")
        #expect(try await log.markRemindersSent([b], claimedAt: now + 60_000, nowMilliseconds: now + lease) == 1)
        #expect(try await log.reminderFailures(since: 0) == ReminderFailures(count: 0, lastError: nil, lastFailedAt: nil))
    }
}
