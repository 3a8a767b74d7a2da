import BanliCore

/// When reminders go out: some days before a deadline, then every few days while it is overdue.
public struct ReminderSchedule: Sendable, Hashable {
    /// Days before the deadline, e.g. [7, 1]; kept sorted, largest first, without duplicates.
    public private(set) var leadDays: [Int]
    /// Days between reminders once a deadline has passed (1 = daily); 0 sends none after the deadline.
    public var overdueEveryDays: Int

    public init(leadDays: [Int] = [7, 1], overdueEveryDays: Int = 1) {
        self.leadDays = Array(Set(leadDays.filter { $0 >= 0 })).sorted(by: >)
        self.overdueEveryDays = max(0, overdueEveryDays)
    }

    /// The occasion that covers `today` for a deadline `due`: the latest one on or before today, so that a day the
    /// service did not run is caught up once (the occasion's key stays the same until the next occasion), never once
    /// per missed day. Nil before the first lead time, and after the deadline when overdue reminders are off.
    public func occasion(due: ISODate, today: ISODate) -> ReminderOccasion? {
        let left = due.daysSinceEpoch - today.daysSinceEpoch
        if left >= 0 {
            // The smallest lead time that today has reached.
            return leadDays.last(where: { $0 >= left }).map { .before(days: $0) }
        }
        guard overdueEveryDays > 0 else { return nil }
        let late = -left
        return .overdue(day: 1 + (late - 1) / overdueEveryDays * overdueEveryDays)
    }
}

/// One point in a deadline's schedule; part of a reminder's key.
public enum ReminderOccasion: Sendable, Hashable {
    /// `days` days before the deadline (0: on the day).
    case before(days: Int)
    /// The deadline passed `day` days ago (the first day of an overdue period).
    case overdue(day: Int)
    /// An extension request waits for the office's answer; `request` is a digest of its text, so a new request counts anew.
    case pending(request: String)

    var keyPart: String {
        switch self {
        case .before(let d): "before-\(d)"
        case .overdue(let d): "overdue-\(d)"
        case .pending(let r): "pending-\(r)"
        }
    }
}

/// What a reminder is about.
public enum ReminderKind: String, Sendable, Hashable, CaseIterable {
    /// The reply (答复) of a lead, sole or split unit.
    case reply
    /// The 会办意见 of a cooperating or assisting unit.
    case opinion
    /// A unit's extension request (申请延期) that the office has not answered.
    case extensionRequest

    /// The Chinese label.
    public var label: String {
        switch self {
        case .reply: "答复"
        case .opinion: "会办意见"
        case .extensionRequest: "延期申请待审批"
        }
    }
}

/// The stable identity of one reminder: sent at most once, whoever computes it and however often.
public struct ReminderKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var item: String
    public var unit: String
    public var kind: ReminderKind
    /// The deadline it is about; an extension gives a new deadline and so new reminders.
    public var due: ISODate
    public var occasion: ReminderOccasion

    public init(item: String, unit: String, kind: ReminderKind, due: ISODate, occasion: ReminderOccasion) {
        self.item = item
        self.unit = unit
        self.kind = kind
        self.due = due
        self.occasion = occasion
    }

    /// `reply/rd-2025-39/jxj/2025-07-01/before-7`: ids and sites are `[a-z0-9._-]`, so the parts cannot run together.
    public var description: String { "\(kind.rawValue)/\(item)/\(unit)/\(due)/\(occasion.keyPart)" }

    public static func < (a: ReminderKey, b: ReminderKey) -> Bool { a.description < b.description }
}

/// One reminder due today.
public struct Reminder: Sendable, Hashable {
    public var key: ReminderKey
    /// The item's title (hostile text: it comes from the store).
    public var title: String
    /// The unit's 责任人 as the unit wrote it (a name or an e-mail address).
    public var handler: String?
    /// Days left until the deadline; negative once overdue.
    public var daysLeft: Int

    public init(key: ReminderKey, title: String, handler: String?, daysLeft: Int) {
        self.key = key
        self.title = title
        self.handler = handler
        self.daysLeft = daysLeft
    }
}

/// Who receives a digest.
public enum ReminderRecipient: Sendable, Hashable, Comparable, CustomStringConvertible {
    case email(String)
    /// The configured webhook (one chat group).
    case webhook

    public var description: String {
        switch self {
        case .email(let a): "mailto:\(a)"
        case .webhook: "webhook"
        }
    }
}

/// One recipient's reminders of one day, sent as one message.
public struct ReminderDigest: Sendable, Hashable {
    public var recipient: ReminderRecipient
    /// Sorted by item (natural order), unit and kind.
    public var reminders: [Reminder]

    public init(recipient: ReminderRecipient, reminders: [Reminder]) {
        self.recipient = recipient
        self.reminders = reminders
    }
}

/// Computes the reminders due on a day from the items a store holds. Pure: the store reads, the service sends.
public enum ReminderPlan {
    /// The reminders due `today`: open replies and opinions by their deadline's schedule, and extension requests the
    /// office has not answered (once each). Withdrawn, merged, closed, inactive and answered assignments get none.
    /// `units` limits the result to those sites (a bureau reminds only its own unit); nil takes every unit (the hub).
    public static func due(
        items: [ItemView], today: ISODate, schedule: ReminderSchedule, deadlines: Deadlines = Deadlines(), units: Set<String>? = nil
    ) -> [Reminder] {
        var out: [Reminder] = []
        for item in items where item.values.bool("withdrawn") != true && item.values.string("mergedInto") == nil {
            for (site, a) in item.assignments where a.role != nil && (units?.contains(site) ?? true) {
                guard let status = item.status(site: site, today: today, deadlines: deadlines), status.stage.isOpen,
                      let due = status.dueAt else { continue }
                let kind: ReminderKind = a.isCooperating ? .opinion : .reply
                let left = due.daysSinceEpoch - today.daysSinceEpoch
                let handler = a.values.string("handler")
                if let occasion = schedule.occasion(due: due, today: today) {
                    let key = ReminderKey(item: item.id, unit: site, kind: kind, due: due, occasion: occasion)
                    out.append(Reminder(key: key, title: item.title, handler: handler, daysLeft: left))
                }
                if let request = a.values.string("extensionRequest"), !isAnswered(a) {
                    let key = ReminderKey(item: item.id, unit: site, kind: .extensionRequest, due: due, occasion: .pending(request: digest(request)))
                    out.append(Reminder(key: key, title: item.title, handler: handler, daysLeft: left))
                }
            }
        }
        return out.sorted(by: order)
    }

    /// Gathers reminders into one digest per recipient; a reminder with several recipients appears in each of their digests.
    public static func digests(_ reminders: [Reminder], recipients: (Reminder) -> [ReminderRecipient]) -> [ReminderDigest] {
        var by: [ReminderRecipient: [Reminder]] = [:]
        for r in reminders {
            for who in Set(recipients(r)) { by[who, default: []].append(r) }
        }
        return by.keys.sorted().map { ReminderDigest(recipient: $0, reminders: by[$0]!.sorted(by: order)) }
    }

    /// The order a digest lists its reminders in: items as clerks count them, then unit, then kind.
    static func order(_ a: Reminder, _ b: Reminder) -> Bool {
        if a.key.item != b.key.item { return ItemView.naturalOrder(a.key.item, b.key.item) }
        return a.key < b.key
    }

    /// The office answered an extension request when it wrote the unit's deadline after the request.
    static func isAnswered(_ a: AssignmentView) -> Bool {
        let deadline = a.isCooperating ? "opinionDueAt" : "dueAt"
        guard let asked = a.writtenAt["extensionRequest"], let answered = a.writtenAt[deadline] else { return false }
        return answered > asked
    }

    /// A short, stable digest of a text (64-bit FNV-1a, hex): the same on every machine and every run.
    static func digest(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// A plain e-mail address (`name@example.org`), as a handler or an operator writes one.
public enum EmailAddress {
    /// True when `text` is one address without spaces, line breaks, quotes or brackets: safe to put in an SMTP command.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              text.utf8.count <= 254 else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"<>()[]\\,;:\"".unicodeScalars.contains($0) }
    }
}

extension ReminderDigest {
    /// The subject line: `【督办提醒】2025-06-24 3件待办`; plain text, without line breaks.
    public func subject(today: ISODate) -> String { "【督办提醒】\(today) \(reminders.count)件待办" }

    /// The plain-text Chinese body listing each item, unit and deadline; `unitName` gives a unit's name for its site.
    /// Line breaks inside stored values become spaces, so a title can never forge a line of its own.
    public func body(today: ISODate, unitName: (String) -> String?) -> String {
        var lines = ["以下事项请及时办理（\(today)）：", ""]
        for (i, r) in reminders.enumerated() {
            let unit = unitName(r.key.unit).map { "\(Self.oneLine($0))（\(r.key.unit)）" } ?? r.key.unit
            let when: String
            switch r.key.kind {
            case .extensionRequest: when = "申请延期，待交办机关审批，现办理时限\(r.key.due)"
            case .reply, .opinion:
                let state = r.daysLeft > 0 ? "还有\(r.daysLeft)天到期" : r.daysLeft == 0 ? "今天到期" : "已超期\(-r.daysLeft)天"
                when = "\(r.key.kind.label)时限\(r.key.due)，\(state)"
            }
            lines.append("\(i + 1). \(r.key.item)《\(Self.oneLine(r.title))》 \(unit)：\(when)")
        }
        lines += ["", "此邮件由办理系统（banli）自动发送，每条提醒只发一次。"]
        return lines.joined(separator: "\n")
    }

    /// `text` with every line break and control character replaced by a space.
    public static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" || $0 == "\u{85}" ? " " : $0
        }))
    }
}
