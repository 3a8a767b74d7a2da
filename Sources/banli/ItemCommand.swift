import ArgumentParser
import BanliCore
import BanliHubStorage
import BanliOffice
import BanliStore
import Foundation

/// `banli item …`: create, assign, edit and read items.
struct ItemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "item", abstract: "Create, assign, edit and read suggestions and proposals.",
        subcommands: [
            ItemNew.self, ItemAssign.self, ItemSet.self, ItemShow.self, ItemList.self,
            ItemCorrect.self, ItemReassign.self, ItemExtend.self, ItemFeedback.self, ItemFeedbackLink.self, ItemRehandle.self, ItemClose.self, ItemReopen.self,
            ItemCategory.self,
            ItemAccept.self, ItemReturn.self, ItemRequestExtension.self, ItemHandler.self, ItemContact.self,
            ItemOpinion.self, ItemReply.self, ItemTrack.self, ItemForm.self,
        ])
}

extension Output {
    /// Prints what each write changed.
    static func writes(_ outcomes: [WriteOutcome]) {
        for o in outcomes {
            let spec = FieldCatalogue.spec(o.entity.kind, o.field)
            var s = "\(o.entity) \(o.field) (\(spec?.label ?? "")) = \(o.value.canonicalJSON)"
            if o.previous != .null, o.previous != o.value { s += "  (was \(o.previous.canonicalJSON))" }
            if o.superseded > 1 { s += "  — resolves a conflict of \(o.superseded) values" }
            line(s)
        }
    }
}

/// `banli item new`: the hub creates an item.
struct ItemNew: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Create an item (hub).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id, e.g. rd-2025-39 or zx-2025-90.") var id: String
    @Option(help: "suggestion (建议) or proposal (提案).") var kind: String
    @Option(help: "The number (第N号).") var number: String
    @Option(help: "The year.") var year: String
    @Option(help: "The title.") var title: String
    @Option(name: .customLong("proposer"), help: "A proposer; repeat, lead proposer (领衔人) first.") var proposers: [String] = []
    @Option(help: "届次/会议, e.g. 十届人大五次会议.") var session: String?
    @Option(help: "Subject category.") var category: String?
    @Option(help: "The full text.") var body: String?

    func run() throws {
        let store = try global.openStore()
        _ = try Identifier.validItemId(id)
        func int(_ field: String, _ text: String) throws -> Int64 { try fieldValue(.item, field, text).intValue ?? 0 }
        func text(_ field: String, _ text: String) throws -> String { try fieldValue(.item, field, text).stringValue ?? text }
        let item = Workflow.NewItem(
            id: id, kind: try choice(.item, "kind", kind), number: try int("number", number), year: try int("year", year),
            title: try text("title", title), proposers: proposers,
            session: try session.map { try text("session", $0) }, category: try category.map { try text("category", $0) },
            body: try body.map { try text("body", $0) })
        let writes = try Workflow.create(item, existing: try store.item(id))
        Output.writes(try store.write(writes))
    }
}

/// Parses command-line text for a field by its catalogue type (`FieldCatalogue.value`).
func fieldValue(_ kind: EntityKind, _ field: String, _ text: String) throws -> JSONValue {
    try FieldCatalogue.value(kind, field, text)
}

/// An enumerated option read as the catalogue reads it (`FieldCatalogue.choice`).
func choice<E: CatalogueEnum>(_ kind: EntityKind, _ field: String, _ text: String) throws -> E {
    try FieldCatalogue.choice(kind, field, text)
}

/// `banli item assign`: 交办 to a unit.
struct ItemAssign: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assign", abstract: "Assign an item to a unit (交办, hub).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Item id.") var id: String
    @Argument(help: "The unit's site name.") var site: String
    @Option(help: ArgumentHelp(Role.choices() + ".")) var role: String
    @Option(help: "This unit's due date (办理时限; for 会办/协办 units the 会办意见 deadline), YYYY-MM-DD.") var due: String?
    @Option(help: "The date of 交办 (default today).") var at: String?
    @Flag(name: .customLong("change-role"), help: "Change the role of a unit already assigned (its old deadline override is cleared).")
    var changeRole = false

    func run() throws {
        let store = try global.openStore()
        _ = try Identifier.validItemId(id)
        _ = try Identifier.validSite(site)
        guard let view = try store.item(id), view.kind != nil else {
            throw BanliError(.notFound, "No item \(id) in this store; create it first with 'banli item new \(id) …'.")
        }
        guard try store.field(.unit(site: site), "name")?.visibleValue(hubSite: store.info.hubSite) != nil else {
            throw BanliError(.notFound, "Unit '\(site)' is not in the directory; register it with 'banli hub add-unit \(site) --name …'.")
        }
        func date(_ text: String?, _ option: String) throws -> ISODate? {
            guard let text else { return nil }
            guard let d = ISODate(text.trimmedWhitespace) else {
                throw BanliError(.invalidValue, "\(option) takes a date like 2025-04-14, not '\(text.prefix(40))'.")
            }
            return d
        }
        let a = Workflow.Assignment(
            site: site, role: try choice(.assignment, "role", role), due: try date(due, "--due"), at: try date(at, "--at"), changeRole: changeRole)
        Output.writes(try store.write(Workflow.assign(view, a, today: try global.today())))
    }
}

/// The field `item set` and `item correct` write: item id, field name, value, and the row it belongs to.
struct FieldTarget: ParsableArguments {
    @Argument(help: "Item id.") var id: String
    @Argument(help: "Field name, e.g. title, replyCategory, method.") var field: String
    @Argument(help: "The value; Chinese labels are accepted (满意, 主办, 电话联系).") var value: String?
    @Option(help: "The unit, for assignment, contact and feedback fields (default: this bureau).") var unit: String?
    @Option(help: "The contact record number, for contact fields.") var contact: Int?
    @Flag(help: "Clear the field (write null) instead of giving a value.") var clear = false

    /// The entity, the value, and the item as it stands, checked against the catalogue and this store's permissions.
    func resolve(_ store: any RecordStore) throws -> (entity: EntityKey, value: JSONValue, view: ItemView) {
        let entity = try resolveEntity(store: store)
        let spec = try FieldCatalogue.require(entity.kind, field)
        let v: JSONValue
        switch (value, clear) {
        case (nil, true): v = .null
        case (let text?, false): v = try spec.type.parse(text, field: field)
        case (nil, false): throw BanliError(.usage, "Give a value for '\(field)', or --clear to clear it.")
        case (_?, true): throw BanliError(.usage, "Give either a value or --clear, not both.")
        }
        // Who may write comes before what the workflow allows: a unit hears "not yours" before any step rule.
        try Permissions.check(site: store.info.site, hubSite: store.info.hubSite, entity: entity, field: spec)
        return (entity, v, try store.item(id) ?? ItemView(id: id, fields: [], hubSite: store.info.hubSite))
    }

    /// Finds the entity from the field name and the --unit/--contact options.
    func resolveEntity(store: any RecordStore) throws -> EntityKey {
        let id = try Identifier.validItemId(self.id)
        let kinds = FieldCatalogue.kinds(having: field)
        guard !kinds.isEmpty else {
            throw BanliError(.unknownField, "'\(field.prefix(60))' is not a Banli field; see DESIGN §2 or 'banli item show \(id)' for field names.")
        }
        if let contact {
            guard kinds.contains(.contact) else { throw BanliError(.usage, "'\(field)' is not a contact field; drop --contact.") }
            guard contact >= 1, contact <= EntityKey.maxContactNumber else {
                throw BanliError(.usage, "--contact must be a whole number from 1 to \(EntityKey.maxContactNumber).")
            }
            return .contact(item: id, site: try site(store), n: contact)
        }
        if unit == nil, kinds.contains(.item) { return .item(id: id) }
        if kinds.contains(.assignment) { return .assignment(item: id, site: try site(store)) }
        if kinds.contains(.feedback) { return .feedback(item: id, site: try site(store)) }
        if kinds.contains(.contact) {
            throw BanliError(.usage, "'\(field)' belongs to a contact record; add --contact N (and --unit S at the hub).")
        }
        throw BanliError(.usage, "'\(field)' is not a field of items, assignments, contacts or feedback.")
    }

    private func site(_ store: any RecordStore) throws -> String {
        if let unit { return try (try? UnitNames(store: store).site(named: unit)) ?? Identifier.validSite(unit) }
        guard !store.info.isHub else {
            throw BanliError(.usage, "'\(field)' belongs to a unit's row; add --unit SITE.")
        }
        return store.info.site
    }

    /// Writes a correction (office only): the value beyond the workflow's rules, and the reason beside it.
    func correct(_ store: any RecordStore, reason: String) throws {
        guard store.info.isHub else {
            throw BanliError(.permissionDenied, "Refused: only the office (the hub's store) corrects beyond the workflow; a bureau asks the office.")
        }
        let (entity, value, view) = try resolve(store)
        Output.writes(try store.write(Workflow.correct(view, entity, field, value, reason: reason)))
    }
}

/// `banli item set`: write one field, under the same rules as the workflow's verbs.
struct ItemSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Write one field of an item, an assignment, a contact or a feedback form (the workflow's rules apply).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: FieldTarget
    @Flag(help: "Office only: a correction beyond the workflow's rules (same as 'banli item correct'); needs --reason.") var correct = false
    @Option(help: "With --correct: why, kept in the history beside the change.") var reason: String?

    func run() throws {
        let store = try global.openStore(holding: target.id)
        if correct {
            guard let reason else { throw BanliError(.usage, "A correction needs its reason: add --reason \"…\".") }
            try target.correct(store, reason: reason)
            return
        }
        guard reason == nil else { throw BanliError(.usage, "--reason goes with --correct (or 'banli item correct').") }
        let (entity, value, view) = try target.resolve(store)
        Output.writes(try store.write(Workflow.set(view, entity, target.field, value)))
    }
}

/// `banli item correct`: the office corrects a field beyond the workflow's rules, with a reason the history keeps.
struct ItemCorrect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correct", abstract: "Correct a field beyond the workflow's rules (hub), with a reason the history keeps.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var target: FieldTarget
    @Option(help: "Why the record is corrected; kept in the history beside the change.") var reason: String

    func run() throws {
        try target.correct(try global.openStore(holding: target.id), reason: reason)
    }
}
