import BanliCore
import BanliHubStorage
import BanliOffice
import BanliRemind
import BanliStore
import Dispatch
import Foundation
import Logging

/// Builds the deadline reminders' service (督办提醒) of a bureau daemon or a hub from the `[reminders]` config.
enum ReminderSetup {
    /// The bureau's service for one office's store: its own unit's replies and opinions, to its own addresses, the
    /// handlers' addresses and the webhook. Nil when no channel is configured.
    static func bureau(store: Store, config: BanliConfig, logger: Logger) throws -> ReminderService? {
        let settings = config.reminders
        guard settings.isEnabled else { return nil }
        let today = try todayFunction(config)
        let (site, hubSite, deadlines, schedule) = (store.info.site, store.info.hubSite, config.deadlines, settings.schedule)
        let queue = DispatchQueue(label: "banli.reminders.store")
        let source = ReminderService.Source(
            due: { day in
                try await Offload.run(on: queue) {
                    var out: [Reminder] = []
                    try store.forEachItem { view in
                        out += ReminderPlan.due(items: [view], today: day, schedule: schedule, deadlines: deadlines, units: [site])
                    }
                    // Extension requests wait on the office: the hub reminds it.
                    return out.filter { $0.key.kind != .extensionRequest }
                }.get()
            },
            unitNames: { try await Offload.run(on: queue) { names(try store.directoryFields(), hubSite: hubSite) }.get() })
        return ReminderService(settings: settings, source: source, log: store, recipients: recipients(settings, handlers: settings.mailHandlers),
                               today: today, logger: logger)
    }

    /// The hub's service: every unit's reminders and the open extension requests, to the office's addresses and the
    /// webhook. Nil when no channel is configured.
    static func hub(storage: any HubStorage, config: BanliConfig, logger: Logger) throws -> ReminderService? {
        let settings = config.reminders
        guard settings.isEnabled else { return nil }
        guard let log = storage as? any ReminderLog else {
            throw BanliError(.config, "This hub's store cannot record reminders; remove [reminders] from the hub's config.")
        }
        let today = try todayFunction(config)
        let (hubSite, deadlines, schedule) = (storage.hubSite, config.deadlines, settings.schedule)
        let source = ReminderService.Source(
            due: { day in
                try await storage.reduceItems(into: [Reminder]()) { out, item in
                    let view = ItemView(id: item.id, fields: item.fields, hubSite: hubSite)
                    out += ReminderPlan.due(items: [view], today: day, schedule: schedule, deadlines: deadlines)
                }
            },
            unitNames: { names(try await storage.directoryFields(), hubSite: hubSite) })
        return ReminderService(settings: settings, source: source, log: log, recipients: recipients(settings, handlers: false),
                               today: today, logger: logger)
    }

    /// Every reminder goes to the configured addresses and the webhook; at a bureau also to a handler written as an address.
    static func recipients(_ settings: ReminderSettings, handlers: Bool) -> @Sendable (Reminder) -> [ReminderRecipient] {
        let fixed: [ReminderRecipient] = (settings.smtp == nil ? [] : settings.addresses.map { .email($0) }) + (settings.webhook == nil ? [] : [.webhook])
        let mail = handlers && settings.smtp != nil
        return { r in
            guard mail, let h = r.handler?.trimmedWhitespace, EmailAddress.isValid(h) else { return fixed }
            return fixed + [.email(h)]
        }
    }

    /// Today's date for reminders, checked once at start so a malformed `BANLI_TODAY` stops the service with one sentence.
    static func todayFunction(_ config: BanliConfig) throws -> @Sendable () throws -> ISODate {
        let zone = config.timeZone
        _ = try ReminderService.today(environment: ProcessInfo.processInfo.environment, timeZone: zone)
        return { try ReminderService.today(environment: ProcessInfo.processInfo.environment, timeZone: zone) }
    }

    /// Each unit's name by site, from the directory's fields.
    static func names(_ fields: [ReplicatedField], hubSite: String) -> [String: String] {
        var out: [String: String] = [:]
        for f in fields where f.field == "name" {
            if let site = f.entity.site, let name = f.visibleValue(hubSite: hubSite).stringValue { out[site] = name }
        }
        return out
    }
}
