import BanliCore
import BanliOffice
import TestSupport
import Testing

/// Which deadline reminders (督办提醒) are due on a day, and how they gather into one digest per recipient.
@Suite struct ReminderPlanTests {
    typealias W = (EntityKey, String, JSONValue)
    static let id = "rd-2025-7"
    static let item = EntityKey.item(id: id)
    static let jxj = EntityKey.assignment(item: id, site: "jxj")
    static let fgw = EntityKey.assignment(item: id, site: "fgw")
    /// Assigned 2025-03-20: jxj (lead) due 2025-06-20, fgw (cooperating) due 2025-04-20.
    static let base: [W] = [
        (item, "kind", .string("suggestion")), (item, "title", .string("关于\n增设公交站点的建议")),
        (item, "assignedAt", .string("2025-03-20")), (jxj, "role", .string("lead")), (jxj, "active", .bool(true)),
        (jxj, "handler", .string("liu@jxj.example.org")), (fgw, "role", .string("cooperating")), (fgw, "active", .bool(true)),
    ]

    /// The keys due `today` for `unit` after `more` writes.
    func keys(_ more: [W] = [], today: String, schedule: ReminderSchedule = ReminderSchedule(), unit: String = "jxj") throws -> [String] {
        let view = try OfficeSample.view(Self.id, Self.base + more)
        return ReminderPlan.due(items: [view], today: ISODate(today)!, schedule: schedule, units: [unit]).map(\.key.description)
    }

    @Test func leadTimesThenEveryFewDaysWhileOverdue() throws {
        #expect(try keys(today: "2025-06-12") == [])
        #expect(try keys(today: "2025-06-13") == ["reply/rd-2025-7/jxj/2025-06-20/before-7"])
        // The same key until the next lead time: a service that missed 06-13 catches it up once.
        #expect(try keys(today: "2025-06-18") == ["reply/rd-2025-7/jxj/2025-06-20/before-7"])
        #expect(try keys(today: "2025-06-19") == ["reply/rd-2025-7/jxj/2025-06-20/before-1"])
        #expect(try keys(today: "2025-06-20") == ["reply/rd-2025-7/jxj/2025-06-20/before-1"])
        #expect(try keys(today: "2025-06-21") == ["reply/rd-2025-7/jxj/2025-06-20/overdue-1"])
        let every3 = ReminderSchedule(leadDays: [7, 1], overdueEveryDays: 3)
        #expect(try keys(today: "2025-06-23", schedule: every3) == ["reply/rd-2025-7/jxj/2025-06-20/overdue-1"])
        #expect(try keys(today: "2025-06-24", schedule: every3) == ["reply/rd-2025-7/jxj/2025-06-20/overdue-4"])
        #expect(try keys(today: "2025-06-24", schedule: ReminderSchedule(leadDays: [7], overdueEveryDays: 0)) == [])
        // The cooperating unit's 会办意见 deadline is a month after 交办.
        #expect(try keys(today: "2025-04-19", unit: "fgw") == ["opinion/rd-2025-7/fgw/2025-04-20/before-1"])
        // An approved extension is a new deadline, with reminders of its own.
        let extended = try keys([(Self.jxj, "dueAt", .string("2025-07-20"))], today: "2025-07-13")
        #expect(extended == ["reply/rd-2025-7/jxj/2025-07-20/before-7"])
    }

    @Test func answeredClosedWithdrawnMergedAndInactiveGetNone() throws {
        let today = "2025-06-21"
        #expect(try keys([(Self.jxj, "replyAt", .string("2025-06-19"))], today: today) == [])
        #expect(try keys([(Self.item, "closedAt", .string("2025-06-19"))], today: today) == [])
        #expect(try keys([(Self.item, "withdrawn", .bool(true))], today: today) == [])
        #expect(try keys([(Self.item, "mergedInto", .string("rd-2025-1"))], today: today) == [])
        #expect(try keys([(Self.jxj, "active", .bool(false))], today: today) == [])
        #expect(try keys([(Self.fgw, "opinion", .string("同意"))], today: "2025-04-19", unit: "fgw") == [])
    }

    @Test func anExtensionRequestRemindsTheOfficeOnceUntilItIsAnswered() throws {
        let ask: [W] = [
            (Self.jxj, "acceptedAt", .string("2025-03-25")), (Self.jxj, "extensionRequest", .string("申请延期至2025-07-20：需协调")),
        ]
        let pending = try keys(ask, today: "2025-05-01")
        #expect(pending.count == 1)
        #expect(pending.first?.hasPrefix("extensionRequest/rd-2025-7/jxj/2025-06-20/pending-") == true)
        // The office's new deadline, written after the request, answers it.
        #expect(try keys(ask + [(Self.jxj, "dueAt", .string("2025-07-20"))], today: "2025-05-01") == [])
        // A deadline written before the request does not.
        let before: [W] = [(Self.jxj, "dueAt", .string("2025-06-25"))] + ask
        #expect(try keys(before, today: "2025-05-01").count == 1)
    }

    @Test func oneDigestPerRecipientWithNoLineBreaksFromTheStore() throws {
        let view = try OfficeSample.view(Self.id, Self.base)
        let due = ReminderPlan.due(items: [view], today: ISODate("2025-06-21")!, schedule: ReminderSchedule())
        let digests = ReminderPlan.digests(due) { r in
            [ReminderRecipient.email("office@rd.example.org"), .webhook] + (r.handler.map { [ReminderRecipient.email($0)] } ?? [])
        }
        #expect(digests.map(\.recipient) == [.email("liu@jxj.example.org"), .email("office@rd.example.org"), .webhook])
        #expect(digests.map(\.reminders.count) == [1, 2, 2])
        let body = digests[1].body(today: ISODate("2025-06-21")!) { $0 == "jxj" ? "市教育局\r\nBcc: x@y.z" : nil }
        #expect(body.contains("1. rd-2025-7《关于 增设公交站点的建议》 fgw：会办意见时限2025-04-20，已超期62天"))
        #expect(body.contains("2. rd-2025-7《关于 增设公交站点的建议》 市教育局  Bcc: x@y.z（jxj）：答复时限2025-06-20，已超期1天"))
        #expect(!body.split(separator: "\n").contains { $0.hasPrefix("Bcc") })
    }

    @Test func addressesAreOnePlainAddress() {
        #expect(EmailAddress.isValid("liu@jxj.example.org"))
        for bad in ["刘文明", "a@b", "a b@c.d", "a@c.d\r\nRCPT TO:<x@y.z>", "<a@b.c>", "a@b.c,d@e.f", "@b.c", "a@@b.c"] {
            #expect(!EmailAddress.isValid(bad), "\(bad)")
        }
    }

    /// Random items run day by day by a service that misses random days: each key at most once a day, nothing for
    /// items that are closed or answered, and after a run of missed days at most one reminder per deadline.
    @Test func seededDaysKeepTheInvariants() throws {
        var rng = SplitMix64(seed: 20_261_201)
        let schedule = ReminderSchedule(leadDays: [7, 3, 1], overdueEveryDays: 2)
        for round in 0..<40 {
            var writes: [W] = []
            for n in 1...6 {
                let id = "rd-2025-\(round)-\(n)", e = EntityKey.item(id: id)
                let assigned = ISODate("2025-03-01")!.addingDays(Int.random(in: 0..<60, using: &rng))
                writes += [(e, "kind", .string("suggestion")), (e, "assignedAt", .string(assigned.description))]
                if Bool.random(using: &rng) { writes.append((e, "closedAt", .string("2025-05-01"))) }
                for site in ["jxj", "fgw", "swj"] where Bool.random(using: &rng) {
                    let a = EntityKey.assignment(item: id, site: site)
                    let role = ["lead", "cooperating", "split"].randomElement(using: &rng)!
                    writes += [(a, "role", .string(role)), (a, "active", .bool(Int.random(in: 0..<5, using: &rng) > 0))]
                    if Int.random(in: 0..<3, using: &rng) == 0 { writes.append((a, "replyAt", .string("2025-05-02"))) }
                    if Int.random(in: 0..<3, using: &rng) == 0 { writes.append((a, "opinion", .string("同意"))) }
                }
            }
            let views = try OfficeSample.views(writes)
            var sent = Set<String>()
            var day = ISODate("2025-03-01")!
            while day < ISODate("2025-09-01")! {
                let due = ReminderPlan.due(items: views, today: day, schedule: schedule)
                let keys = due.map(\.key.description)
                #expect(Set(keys).count == keys.count, "round \(round) \(day): a key twice")
                let deadlines = due.map { "\($0.key.item)/\($0.key.unit)/\($0.key.kind)" }
                #expect(Set(deadlines).count == deadlines.count, "round \(round) \(day): two reminders for one deadline")
                for r in due {
                    let v = views.first { $0.id == r.key.item }!, st = v.status(site: r.key.unit, today: day)!
                    #expect(st.stage.isOpen && v.closedAt == nil && v.assignments[r.key.unit]!.isActive, "round \(round): \(r.key)")
                }
                sent.formUnion(keys)
                day = day.addingDays(Int.random(in: 1...4, using: &rng))
            }
            #expect(!sent.contains { $0.contains("/before-") && !$0.hasSuffix("-7") && !$0.hasSuffix("-3") && !$0.hasSuffix("-1") })
        }
    }
}
