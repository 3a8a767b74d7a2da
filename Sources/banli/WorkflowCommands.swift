import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliPages
import BanliStore
import Foundation

/// What every workflow command needs: the store, the item, who acts, and today.
struct WorkflowContext {
    let store: any RecordStore
    let view: ItemView
    let today: ISODate
    let deadlines: Deadlines

    init(global: GlobalOptions, id: String) throws {
        store = try global.openStore(holding: id)
        _ = try Identifier.validItemId(id)
        guard let v = try store.item(id), v.kind != nil || !v.assignments.isEmpty else {
            throw BanliError(.notFound, "This store holds no item \(id); check the id with 'banli item list' (a bureau sees an item after it syncs).")
        }
        view = v
        today = try global.today()
        deadlines = try global.loadConfig().deadlines
    }

    /// The unit acting: a bureau acts for itself; the office acts for a unit with --unit (代录).
    func actingSite(_ unit: String?) throws -> String {
        if store.info.isHub {
            guard let unit else { throw BanliError(.usage, "At the hub, name the unit this is recorded for with --unit SITE (代录).") }
            return try UnitNames(store: store).site(named: unit)
        }
        if let unit, unit != store.info.site, (try? UnitNames(store: store).site(named: unit)) != store.info.site {
            throw BanliError(.permissionDenied, "Refused: this store belongs to unit '\(store.info.site)', which acts only for itself, not for '\(unit)'.")
        }
        return store.info.site
    }

    /// The unit named by an office command.
    func officeSite(_ unit: String) throws -> String {
        guard store.info.isHub else {
            throw BanliError(.permissionDenied, "Refused: only the office (the hub's store) does this; a bureau asks the office instead.")
        }
        return try (try? UnitNames(store: store).site(named: unit)) ?? Identifier.validSite(unit)
    }

    /// Writes the step in one transaction and prints what changed.
    func apply(_ writes: [LocalWrite]) throws {
        Output.writes(try store.write(writes))
    }

    func date(_ s: String?, option: String) throws -> ISODate {
        guard let s else { return today }
        do {
            return try ISODate.parse(s)
        } catch let e as BanliError {
            throw BanliError(.usage, "\(option): \(e.message)")
        }
    }

    /// The office's settings, from the hub's directory entry (every store holds it after a sync).
    func settings() throws -> OfficeSettings { try store.officeSettings() }
}

/// Options for the unit a command acts for.
struct UnitOption: ParsableArguments {
    @Option(help: "At the hub: the unit this is recorded for (代录). At a bureau: omit (its own site).") var unit: String?
}

struct ItemAccept: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accept", abstract: "签收: sign for an assigned item.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @Argument(help: "Item id.") var id: String
    @Option(help: "Date of signing (default today).") var at: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.accept(w.view, site: w.actingSite(unit.unit), at: w.date(at, option: "--at")))
    }
}

struct ItemReturn: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "return", abstract: "申请调整: ask the office to assign the item elsewhere.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @Argument(help: "Item id.") var id: String
    @Option(help: "Why the item does not belong to this unit.") var reason: String

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.requestReturn(w.view, site: w.actingSite(unit.unit), reason: reason))
    }
}

struct ItemRequestExtension: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "request-extension", abstract: "申请延期: ask the office for more time.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @Argument(help: "Item id.") var id: String
    @Option(help: "Why more time is needed.") var reason: String
    @Option(help: "The date asked for.") var until: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        let until = try self.until.map { try w.date($0, option: "--until") }
        try w.apply(Workflow.requestExtension(w.view, site: w.actingSite(unit.unit), reason: reason, until: until))
    }
}

struct ItemHandler: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "handler", abstract: "承办股室、责任人、联系人、电话.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @Argument(help: "Item id.") var id: String
    @Option(help: "承办股室.") var section: String?
    @Option(help: "责任人.") var handler: String?
    @Option(name: .customLong("contact-person"), help: "联系人.") var contactPerson: String?
    @Option(help: "联系电话.") var phone: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.handler(w.view, site: w.actingSite(unit.unit), section: section, handler: handler, contactPerson: contactPerson, phone: phone))
    }
}

struct ItemContact: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "contact", abstract: "沟通: record a contact with the proposer.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @Argument(help: "Item id.") var id: String
    @Option(help: "Date of the contact (default today).") var at: String?
    @Option(help: ArgumentHelp(ContactMethod.choices() + ".")) var method: String
    @Option(help: "What was discussed.") var note: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        let method: ContactMethod = try choice(.contact, "method", self.method)
        try w.apply(Workflow.contact(w.view, site: w.actingSite(unit.unit), at: w.date(at, option: "--at"), method: method, note: note))
    }
}

/// Text from --text or --file.
struct TextOptions: ParsableArguments {
    @Option(help: "The text.") var text: String?
    @Option(help: "Read the text from this file (UTF-8); - reads standard input.") var file: String?

    func read() throws -> String {
        switch (text, file) {
        case (let t?, nil): return t
        case (nil, "-"?):
            guard let s = String(data: FileHandle.standardInput.readDataToEndOfFile(), encoding: .utf8) else {
                throw BanliError(.corruptInput, "The text on standard input is not UTF-8; convert it to UTF-8 first.")
            }
            return s
        case (nil, let f?):
            guard let d = FileManager.default.contents(atPath: f) else {
                throw BanliError(.io, "Cannot read \(f); check the path and its permissions.")
            }
            guard let s = String(data: d, encoding: .utf8) else {
                throw BanliError(.corruptInput, "\(f) is not UTF-8 text; convert the file to UTF-8 first.")
            }
            return s
        default: throw BanliError(.usage, "Give the text with either --text or --file.")
        }
    }
}

struct ItemOpinion: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "opinion", abstract: "会办意见: a cooperating unit's opinion.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @OptionGroup var body: TextOptions
    @Argument(help: "Item id.") var id: String
    @Option(help: "Date (default today).") var at: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.opinion(w.view, site: w.actingSite(unit.unit), text: body.read(), at: w.date(at, option: "--at")))
    }
}

struct ItemReply: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reply", abstract: "答复: the lead unit's reply.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @OptionGroup var body: TextOptions
    @Argument(help: "Item id.") var id: String
    @Option(help: "文号, e.g. 冶经信函〔2025〕12号 (omit when the reply has none).") var number: String?
    @Option(help: ArgumentHelp(ReplyCategory.choices() + ".")) var category: String
    @Option(help: "Date of the reply (default today).") var at: String?
    @Option(help: "签发人.") var signer: String?
    @Option(name: .customLong("public"), help: "拟公开: yes/no (是/否).") var isPublic: String?
    @Option(name: .customLong("public-reason"), help: "Why (not) public.") var publicReason: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        let category: ReplyCategory = try choice(.assignment, "replyCategory", self.category)
        var publicProposal: JSONValue?
        if let isPublic {
            guard case .object(var o) = try FieldCatalogue.require(.assignment, "publicProposal").type.parse(isPublic, field: "publicProposal") else { return }
            if let publicReason { o["reason"] = .string(publicReason) }
            publicProposal = .object(o)
        }
        let reply = Workflow.Reply(
            number: number, category: category, text: try body.read(), at: try w.date(at, option: "--at"),
            signer: signer, publicProposal: publicProposal)
        try w.apply(Workflow.reply(w.view, site: w.actingSite(unit.unit), reply))
    }
}

struct ItemTrack: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "track", abstract: "跟踪落实: follow-up of a category B reply.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var unit: UnitOption
    @OptionGroup var body: TextOptions
    @Argument(help: "Item id.") var id: String

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.track(w.view, site: w.actingSite(unit.unit), text: body.read()))
    }
}

struct ItemReassign: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reassign", abstract: "调整 (hub): move an assignment from one unit to another.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Argument(help: "The unit it leaves.") var from: String
    @Argument(help: "The unit it goes to.") var to: String
    @Option(help: "The new unit's role (default: the old unit's role).") var role: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        let from = try w.officeSite(self.from), to = try w.officeSite(self.to)
        guard try w.store.field(.unit(site: to), "name")?.visibleValue(hubSite: w.store.info.hubSite) != nil else {
            throw BanliError(.notFound, "Unit '\(to)' is not in the directory; register it with 'banli hub add-unit \(to) --name …'.")
        }
        let role = try self.role.map { try choice(.assignment, "role", $0) } ?? w.view.assignments[from]?.role ?? Role.lead
        try w.apply(Workflow.reassign(w.view, from: from, to: to, role: role))
    }
}

struct ItemExtend: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "extend", abstract: "Approve an extension (hub): a new due date for one unit.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Argument(help: "The unit.") var unit: String
    @Option(help: "The new due date.") var due: String

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.extend(w.view, site: w.officeSite(unit), due: w.date(due, option: "--due"), today: w.today, deadlines: w.deadlines))
    }
}

struct ItemFeedback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback", abstract: "录入征询意见表 (hub): the proposer's evaluation of a unit's reply.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Argument(help: "The replying unit.") var unit: String
    @Option(help: ArgumentHelp(Evaluation.choices() + ".")) var evaluation: String
    @Option(help: ArgumentHelp(Effect.choices() + ".")) var effect: String?
    @Option(name: .customLong("public"), help: "是否公开: yes/no (是/否).") var isPublic: String?
    @Option(help: "对办理情况的意见.") var comment: String?
    @Option(help: "Date the form was received (default today).") var received: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        // A form with two 办理评价 ticked gives none (FeedbackForm.doubleTickRule).
        if evaluation.split(whereSeparator: { ",，、/ ".contains($0) }).count > 1 {
            throw BanliError(.invalidValue, FeedbackForm.doubleTickRule)
        }
        let f = Workflow.Feedback(
            evaluation: try choice(.feedback, "evaluation", evaluation),
            effect: try effect.map { try choice(.feedback, "effect", $0) },
            isPublic: try isPublic.map { try FieldCatalogue.require(.feedback, "public").type.parse($0, field: "public").boolValue ?? false },
            comment: comment, receivedAt: try w.date(received, option: "--received"))
        try w.apply(Workflow.feedback(w.view, site: w.officeSite(unit), f))
    }
}

struct ItemRehandle: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rehandle", abstract: "重新办理 (hub): send a reply back after 不满意.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Argument(help: "The unit.") var unit: String
    @Option(help: "Date (default today).") var at: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.rehandle(w.view, site: w.officeSite(unit), at: w.date(at, option: "--at")))
    }
}

struct ItemClose: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "办结 (hub): close an item once every answer is in.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Option(help: "Date (default today).") var at: String?

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        guard w.store.info.isHub else { throw BanliError(.permissionDenied, "Refused: only the office (the hub's store) closes items.") }
        try w.apply(Workflow.close(w.view, at: w.date(at, option: "--at"), today: w.today, deadlines: w.deadlines))
    }
}

struct ItemReopen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen", abstract: "重新打开 (hub): reopen a closed item so its units can act again; the reason is kept.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Option(help: "Why the item is reopened; kept in the history.") var reason: String

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        guard w.store.info.isHub else { throw BanliError(.permissionDenied, "Refused: only the office (the hub's store) reopens items.") }
        try w.apply(Workflow.reopen(w.view, reason: reason))
    }
}

struct ItemCategory: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "category", abstract: "Review a reply's category A/B/C/D (hub).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Argument(help: "The unit.") var unit: String
    @Argument(help: "A | B | C | D.") var category: String

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        try w.apply(Workflow.category(w.view, site: w.officeSite(unit), category: choice(.assignment, "finalCategory", category)))
    }
}

struct ItemForm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "form", abstract: "Print the 征询意见表 of a unit's reply (HTML, for printing).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Option(help: "The replying unit (default: this bureau).") var unit: String?
    @Option(help: "html.") var format = "html"

    func run() throws {
        let w = try WorkflowContext(global: global, id: id)
        guard format == "html" else { throw BanliError(.usage, "--format takes html.") }
        let site = try unit.map { try UnitNames(store: w.store).site(named: $0) } ?? (w.store.info.isHub ? nil : w.store.info.site)
        guard let site else { throw BanliError(.usage, "At the hub, name the unit with --unit SITE.") }
        guard let a = w.view.assignments[site], a.role != nil else {
            throw BanliError(.notFound, "Item \(id) is not assigned to unit '\(site)'.")
        }
        guard !a.isCooperating else {
            throw BanliError(.workflow, "Unit '\(site)' is a \(a.role?.label ?? "") unit of \(id); the 征询意见表 goes with the lead unit's reply.")
        }
        Output.line(FeedbackForm.html(item: w.view, site: site, unitName: try UnitNames(store: w.store)[site], settings: try w.settings()))
    }
}

/// `banli item feedback-link`: the office makes a one-time link through which the deputy or member rates one unit's
/// reply online (issue 18), or revokes the unit's open links.
struct ItemFeedbackLink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback-link", abstract: "网上征询意见 (hub): print a one-time link for the proposer to rate a unit's reply, or --revoke it.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Option(help: "The replying (lead, sole or split) unit.") var unit: String
    @Option(help: "Days the link stays open (1-\(FeedbackLink.maxDays), default \(FeedbackLink.defaultDays)).") var days: Int?
    @Flag(help: "Revoke the unit's open links on the item instead.") var revoke = false

    func run() async throws {
        let w = try WorkflowContext(global: global, id: id)
        let site = try w.officeSite(unit)
        let storage = try w.store.hubStorage()
        let now = Int64(HybridLogicalClock.wallMilliseconds())
        if revoke {
            let n = try await storage.revokeFeedbackLinks(item: w.view.id, unit: site, nowMilliseconds: now)
            Output.line(n == 0 ? "单位 \(site) 在事项 \(w.view.id) 上没有未使用的征询意见链接。" : "已作废单位 \(site) 在事项 \(w.view.id) 上的 \(n) 个征询意见链接。")
            return
        }
        let config = try global.loadConfig()
        let base = try config.feedbackLinkBase()
        let days = self.days ?? FeedbackLink.defaultDays
        let token = try await storage.issueFeedbackLink(w.view, site: site, days: days, nowMilliseconds: now)
        let expires = now + Int64(days) * 86_400_000
        // Printed once: the store keeps only the token's hash.
        Output.line("\(base)/f/\(token)")
        let lastDay = ISODate(unixMilliseconds: UInt64(expires), utcOffsetHours: config.timeZone.secondsFromGMT() / 3600)
        Output.line("有效期至 \(lastDay)，仅可使用一次；此链接只显示这一次。")
    }
}
