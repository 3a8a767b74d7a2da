import BanliCore
import Testing

@Suite struct EntityKeyTests {
    @Test(arguments: [
        "unit/jxj", "item/rd-2025-39", "assignment/zx-2025-90/jxj", "contact/rd-2025-39/jxj/2", "feedback/zx-2025-90/fgw",
    ])
    func roundTripsValidKeys(_ text: String) throws {
        #expect(try EntityKey(parsing: text).description == text)
    }

    @Test(arguments: [
        "item/../etc", "item/RD-2025", "item/rd 2025", "item/x'; DROP TABLE field;--", "assignment/rd-2025-39",
        "contact/rd-2025-39/jxj/0", "contact/rd-2025-39/jxj/01", "bogus/x", "item/", "item/-x",
        "item/" + String(repeating: "a", count: 65), "item/a/b",
    ])
    func rejectsBadKeys(_ text: String) {
        #expect(throws: BanliError.self) { try EntityKey(parsing: text) }
    }

    @Test func ownerSiteAndItem() throws {
        let k = try EntityKey(parsing: "contact/rd-2025-39/jxj/3")
        #expect(k.itemId == "rd-2025-39" && k.site == "jxj" && k.kind == .contact)
        #expect(EntityKey.item(id: "x").site == nil)
        #expect(EntityKey.unit(site: "jxj").itemId == nil)
    }
}

@Suite struct CatalogueTests {
    @Test func everyPinnedFieldIsThere() {
        let names = Set(FieldCatalogue.all.map { "\($0.entity.rawValue).\($0.name)" })
        for f in ["item.kind", "item.proposers", "item.dueAt", "item.mergedInto", "assignment.role", "assignment.opinionDueAt",
                  "assignment.replyCategory", "assignment.publicProposal", "assignment.tracking", "contact.method",
                  "feedback.evaluation", "feedback.public", "unit.name"] {
            #expect(names.contains(f), "missing \(f)")
        }
        #expect(FieldCatalogue.all.allSatisfy { !$0.label.isEmpty })
    }

    @Test func parsesChineseLabels() throws {
        #expect(try FieldCatalogue.require(.feedback, "evaluation").type.parse("满意", field: "evaluation") == .string("satisfied"))
        #expect(try FieldCatalogue.require(.assignment, "role").type.parse("主办", field: "role") == .string("lead"))
        #expect(try FieldCatalogue.require(.contact, "method").type.parse("电话联系", field: "method") == .string("phone"))
        #expect(try FieldCatalogue.require(.item, "key").type.parse("是", field: "key") == .bool(true))
        #expect(try FieldCatalogue.require(.item, "proposers").type.parse("程玮、王秋红", field: "proposers") == .array([.string("程玮"), .string("王秋红")]))
    }

    @Test func rejectsWrongTypes() {
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "year").type.parse("二〇二五", field: "year") }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "assignedAt").type.parse("2025-02-30", field: "assignedAt") }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.assignment, "replyCategory").type.parse("E", field: "replyCategory") }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "title").type.validate(.int(3), field: "title") }
        #expect(throws: BanliError.self) {
            try FieldCatalogue.require(.assignment, "replyText").type.validate(.string(String(repeating: "字", count: 200_000)), field: "replyText")
        }
        #expect(throws: BanliError.self) { try FieldCatalogue.require(.item, "nonsense") }
    }

    @Test func permissions() throws {
        let reply = try FieldCatalogue.require(.assignment, "replyText")
        let role = try FieldCatalogue.require(.assignment, "role")
        let title = try FieldCatalogue.require(.item, "title")
        let own = EntityKey.assignment(item: "rd-2025-39", site: "jxj")
        let other = EntityKey.assignment(item: "rd-2025-39", site: "fgw")
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: own, field: reply) == nil)
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: other, field: reply) != nil)
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: own, field: role) != nil)
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: .item(id: "rd-2025-39"), field: title) != nil)
        #expect(Permissions.denial(site: "hub", hubSite: "hub", entity: other, field: reply) == nil)
        let effect = try FieldCatalogue.require(.feedback, "evaluation")
        #expect(Permissions.denial(site: "jxj", hubSite: "hub", entity: .feedback(item: "rd-2025-39", site: "jxj"), field: effect) != nil)
    }

    @Test func naturalAuthor() throws {
        let reply = try FieldCatalogue.require(.assignment, "replyText")
        #expect(reply.naturalAuthor(of: .assignment(item: "a", site: "jxj"), hubSite: "hub") == "jxj")
        #expect(try FieldCatalogue.require(.assignment, "role").naturalAuthor(of: .assignment(item: "a", site: "jxj"), hubSite: "hub") == "hub")
    }
}
