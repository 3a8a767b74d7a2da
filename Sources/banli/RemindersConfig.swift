import BanliCore
import BanliOffice
import BanliRemind
import TOMLKit

extension BanliConfig {
    /// Reads `[reminders]`, `[reminders.smtp]` and `[reminders.webhook]`; `at` names a key's file, line and key.
    static func reminderSettings(
        values: [String: TOMLValueConvertible], at: (String) -> String, string: (String) throws -> String?, bool: (String) throws -> Bool?,
        integer: (String, ClosedRange<Int>) throws -> Int?, number: (String, ClosedRange<Double>) throws -> Double?
    ) throws -> ReminderSettings {
        var r = ReminderSettings()
        func checked<T>(_ key: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch let e as BanliError {
                throw BanliError(.config, "\(at(key)): \(e.message.prefix(1).lowercased() + e.message.dropFirst())")
            }
        }
        if let v = values["reminders.lead_days"] {
            guard let array = v.array.map(Array.init), array.count <= 10 else {
                throw BanliError(.config, "\(at("reminders.lead_days")): must be a list of up to 10 day counts, such as [7, 1].")
            }
            let days = try array.map { element -> Int in
                guard let d = element.int, (0...366).contains(d) else {
                    throw BanliError(.config, "\(at("reminders.lead_days")): each lead time must be a whole number of days from 0 to 366.")
                }
                return d
            }
            r.schedule = ReminderSchedule(leadDays: days, overdueEveryDays: r.schedule.overdueEveryDays)
        }
        if let every = try integer("reminders.overdue_every_days", 0...366) { r.schedule.overdueEveryDays = every }
        if let v = values["reminders.to"] {
            let list = v.string.map { [$0] } ?? v.array?.map { $0.string ?? "" }
            guard let list, list.allSatisfy(EmailAddress.isValid) else {
                throw BanliError(.config, "\(at("reminders.to")): must be an e-mail address in quotes, or a list of them such as "
                                 + "[\"duban@example.org\"], each one plain address.")
            }
            r.addresses = list
        }
        r.interval = try number("reminders.interval", 10...86_400) ?? r.interval
        r.mailHandlers = try bool("reminders.mail_handlers") ?? r.mailHandlers
        if let url = try string("reminders.smtp.url") {
            let from = try string("reminders.smtp.from")
            guard let from else { throw BanliError(.config, "\(at("reminders.smtp.url")): [reminders.smtp] needs from, the sender's address.") }
            r.smtp = try checked("reminders.smtp.url") {
                try SMTPSettings(url: url, startTLS: try bool("reminders.smtp.starttls") ?? false, from: from, user: try string("reminders.smtp.user"),
                                 passwordFile: try string("reminders.smtp.password_file"), caFile: try string("reminders.smtp.ca_file"))
            }
        } else if let k = ["from", "user", "password_file", "starttls", "ca_file"].first(where: { values["reminders.smtp." + $0] != nil }) {
            throw BanliError(.config, "\(at("reminders.smtp." + k)): [reminders.smtp] needs url, the mail server (smtp:// or smtps://).")
        }
        if let url = try string("reminders.webhook.url") {
            let name = try string("reminders.webhook.shape") ?? "json"
            guard let shape = WebhookSettings.Shape(rawValue: name) else {
                throw BanliError(.config, "\(at("reminders.webhook.shape")): must be \"json\" or \"text\" (the chat robots' text message).")
            }
            r.webhook = try checked("reminders.webhook.url") { try WebhookSettings(url: url, shape: shape) }
        } else if values["reminders.webhook.shape"] != nil {
            throw BanliError(.config, "\(at("reminders.webhook.shape")): [reminders.webhook] needs url, where to POST.")
        }
        if !r.addresses.isEmpty && r.smtp == nil {
            throw BanliError(.config, "\(at("reminders.to")): e-mail needs a [reminders.smtp] section with the mail server's url and from.")
        }
        return r
    }
}
