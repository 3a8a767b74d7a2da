@testable import BanliHub
import BanliCore
import BanliOffice
import BanliPages
import BanliProtocol
import Testing
import TestSupport

/// `GET /v1/status` is written entry by entry rather than built as one JSON tree: it must still be exact,
/// canonical JSON (keys sorted, every hostile string escaped) carrying every entry of the report.
@Suite struct HubStatusJSONTests {
    @Test func theStatusIsCanonicalJSONWithEveryEntryWhateverTheText() throws {
        var strings = HostileStrings(seed: 0x5747_4154)
        var rng = SplitMix64(seed: 14)
        for round in 0..<40 {
            var attention: [String: [HubStatusReport.Chase]] = [:]
            for s in 0..<Int.random(in: 0...4, using: &rng) {
                attention["u\(s)"] = (0..<Int.random(in: 0...5, using: &rng)).map { i in
                    HubStatusReport.Chase(
                        id: "zx-2025-\(i)", title: strings.next(), dueAt: ISODate("2025-0\(1 + i % 9)-1\(i % 10)")!,
                        overdue: Bool.random(using: &rng), stage: AssignmentStatus.Stage.allCases.randomElement(using: &rng)!,
                        role: Bool.random(using: &rng) ? Role.allCases.randomElement(using: &rng)!.rawValue : nil)
                }
            }
            let units = (0..<Int.random(in: 0...3, using: &rng)).map { i in
                HubStatusReport.Unit(
                    site: "u\(i)", name: strings.next(), lastSyncAt: Bool.random(using: &rng) ? 1_744_560_000_000 : nil, lastSuccessAt: nil,
                    lastError: Bool.random(using: &rng) ? .recorded(strings.next()) : nil, stale: Bool.random(using: &rng), backlog: i, rejected: i * 2,
                    clockOffsetMs: -5, clientVersion: strings.next(), items: i, overdue: 0)
            }
            let conflicts = [HubStatusReport.Conflict(
                entity: .assignment(item: "rd-1", site: "u1"), field: "progress", label: "进展",
                values: [.init(site: "u1", value: .string(strings.next())), .init(site: "hub", value: .int(7))])]
            var report = HubStatusReport(
                hub: .init(site: "hub", hubId: "h\(round)", timeMilliseconds: 1_744_560_000_000, version: banliVersion), units: units,
                totals: .init(units: units.count, stale: 0, items: 3, overdue: 1, conflicts: 1, failing: 0), attention: attention, conflicts: conflicts)

            let failing = Int.random(in: 0...3, using: &rng)
            // Half the failures as the channels store them, half as text an older release stored.
            let failure = Bool.random(using: &rng) ? ReminderFailure(.mail, .unreachable, target: strings.next(), detail: strings.next()).stored
                : strings.next()
            report.reminders = .init(failing: failing, lastError: failing > 0 ? failure : nil, lastFailureAt: failing > 0 ? 1_744_560_000_000 : nil)
            let text = report.canonicalJSON
            let parsed = try JSONValue.parse(text)
            #expect(parsed.canonicalJSON == text, "round \(round): not canonical")
            guard case .object(let top) = parsed, case .object(let chases)? = top["attention"], case .array(let listed)? = top["units"] else {
                Issue.record("round \(round): not the report's shape: \(text)")
                continue
            }
            #expect(Set(top.keys) == ["attention", "conflicts", "hub", "reminders", "totals", "units"])
            let reminders: [String: JSONValue]? = if case .object(let r)? = top["reminders"] { r } else { nil }
            #expect(reminders?["failing"] == .int(Int64(failing)))
            let read = report.reminders.lastError.map(ReminderFailure.init(stored:))
            #expect(reminders?["lastError"] == (read.map { JSONValue.string($0.english) } ?? .null))
            #expect(reminders?["reason"] == (read.map { JSONValue.string($0.chinese) } ?? .null))
            #expect(Set(chases.keys) == Set(attention.keys))
            for (site, list) in attention {
                guard case .array(let written)? = chases[site] else { Issue.record("no entries for \(site)"); continue }
                #expect(written.count == list.count)
                for (w, c) in zip(written, list) {
                    guard case .object(let o) = w else { Issue.record("not an object"); continue }
                    #expect(o["title"] == .string(c.title) && o["id"] == .string(c.id) && o["dueAt"] == .string(c.dueAt.description))
                    #expect(o["stage"] == .string(c.stage.rawValue) && o["overdue"] == .bool(c.overdue))
                    #expect(o["role"] == (c.role.map(JSONValue.string) ?? .null))
                }
            }
            #expect(listed.count == units.count)
            for (w, u) in zip(listed, units) {
                guard case .object(let o) = w else { continue }
                #expect(o["name"] == .string(u.name) && o["lastError"] == (u.lastError.map { .string($0.english) } ?? .null))
                #expect(o["reason"] == (u.lastError.map { .string($0.chinese) } ?? .null))
            }
        }
    }
}
