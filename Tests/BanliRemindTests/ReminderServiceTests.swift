import BanliCore
import BanliHubStorage
import BanliOffice
import BanliRemind
import BanliStore
import Foundation
import Logging
import Testing

/// A send that fails is recorded with its reason, counted, and not tried again before its backoff has passed.
@Suite struct ReminderServiceTests {
    @Test func aFailedSendIsRecordedAndWaitsForItsRetry() async throws {
        let dir = NSTemporaryDirectory() + "banli-remind-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try Store.create(at: dir + "/jxj.db", site: "jxj", name: "市教育局", hubSite: "hub", isHub: false)
        try "s3cret-password\n".write(toFile: dir + "/smtp.password", atomically: true, encoding: .utf8)
        var settings = ReminderSettings()
        // A port nothing listens on: the connection is refused at once.
        let closed = 1
        settings.smtp = try SMTPSettings(url: "smtp://127.0.0.1:\(closed)", startTLS: true, from: "banli@jxj.example.org",
                                         user: "banli", passwordFile: dir + "/smtp.password")
        settings.addresses = ["duban@jxj.example.org"]
        let reminder = Reminder(
            key: ReminderKey(item: "rd-2025-7", unit: "jxj", kind: .reply, due: ISODate("2025-06-20")!, occasion: .before(days: 7)),
            title: "关于增设公交站点的建议", handler: nil, daysLeft: 7)
        let service = ReminderService(
            settings: settings, source: .init(due: { _ in [reminder] }, unitNames: { [:] }), log: store,
            recipients: { _ in [.email("duban@jxj.example.org")] }, today: { ISODate("2025-06-13")! },
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })

        #expect(try await service.runOnce() == (sent: 0, failed: 1))
        let failures = try await store.reminderFailures(since: 0)
        #expect(failures.count == 1)
        let failure = try #require(failures.lastError.map(ReminderFailure.init(stored:)), "\(failures)")
        #expect(failure.channel == .mail && failure.reason == .unreachable && failure.target == "smtp://127.0.0.1:\(closed)", "\(failure)")
        #expect(failure.chinese.contains("连不上 smtp://127.0.0.1:\(closed)"), "\(failure.chinese)")
        #expect(failures.lastError?.contains("s3cret") == false)
        // Backoff: the next pass, at once, does not try again.
        #expect(try await service.runOnce() == (sent: 0, failed: 0))
        #expect(try store.reminderTotals() == (sent: 0, failed: 1))
    }
}
