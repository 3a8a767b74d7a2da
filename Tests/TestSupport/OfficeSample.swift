import BanliCore
import BanliOffice

/// A small office year for domain and page tests.
public enum OfficeSample {
    /// Two items: one with a lead unit (contacts, reply, feedback) and a cooperating unit, one never assigned.
    public static let writes: [(EntityKey, String, JSONValue)] = {
        let rd = EntityKey.item(id: "rd-2025-39"), zx = EntityKey.item(id: "zx-2025-90")
        let jxj = EntityKey.assignment(item: "rd-2025-39", site: "jxj")
        let fgw = EntityKey.assignment(item: "rd-2025-39", site: "fgw")
        return [
            (rd, "kind", .string("suggestion")), (rd, "number", .int(39)), (rd, "year", .int(2025)),
            (rd, "title", .string("关于\"成立\"矿产品产业发展工作专班, 的建议")),
            (rd, "proposers", .array([.string("曹建平"), .string("李四")])), (rd, "key", .bool(true)),
            (rd, "assignedAt", .string("2025-03-14")), (rd, "session", .string("十六届四次")),
            (jxj, "role", .string("lead")), (jxj, "active", .bool(true)), (jxj, "dueAt", .string("2025-07-01")),
            (jxj, "replyText", .string("一、成立专班\n二、联合服务企业\r\n三、其他")), (jxj, "replyCategory", .string("A")),
            (jxj, "replyAt", .string("2025-06-01")), (jxj, "handler", .string("刘文明")),
            (jxj, "publicProposal", .object(["public": .bool(false), "reason": .string("涉及企业信息")])),
            (.contact(item: "rd-2025-39", site: "jxj", n: 1), "at", .string("2025-04-14")),
            (.contact(item: "rd-2025-39", site: "jxj", n: 1), "method", .string("phone")),
            (.contact(item: "rd-2025-39", site: "jxj", n: 2), "method", .string("visit")),
            (.contact(item: "rd-2025-39", site: "jxj", n: 2), "note", .string("现场踏勘, \"联合\"商议")),
            (.feedback(item: "rd-2025-39", site: "jxj"), "effect", .string("solved")),
            (.feedback(item: "rd-2025-39", site: "jxj"), "evaluation", .string("satisfied")),
            (.feedback(item: "rd-2025-39", site: "jxj"), "public", .bool(true)),
            (.feedback(item: "rd-2025-39", site: "jxj"), "comment", .string("工作已推进 措施得力")),
            (fgw, "role", .string("cooperating")), (fgw, "active", .bool(true)), (fgw, "opinion", .string("同意")),
            (zx, "kind", .string("proposal")), (zx, "number", .int(90)), (zx, "year", .int(2025)),
            (zx, "title", .string("关于促进中小企业健康快速发展的提案")), (zx, "proposers", .array([.string("程玮")])),
        ]
    }()

    /// Item views built the way the store builds them: one replicated field per write.
    public static func views(_ writes: [(EntityKey, String, JSONValue)]) throws -> [ItemView] {
        var byItem: [String: [ReplicatedField]] = [:]
        for (i, (entity, field, value)) in writes.enumerated() {
            var state = FieldState()
            state.write(value, dot: Dot(site: "hub", counter: UInt64(i + 1)))
            let f = ReplicatedField(entity: entity, spec: try FieldCatalogue.require(entity.kind, field), state: state)
            byItem[entity.itemId!, default: []].append(f)
        }
        return byItem.map { ItemView(id: $0.key, fields: $0.value, hubSite: "hub") }
    }

    /// One item's view after `writes`; a field written again shows its last value, as a store shows a later write.
    public static func view(_ id: String, _ writes: [(EntityKey, String, JSONValue)]) throws -> ItemView {
        try views(writes).first { $0.id == id } ?? ItemView(id: id, fields: [], hubSite: "hub")
    }

    /// A small office year to count: five items of 2025 and one of 2024, built so each figure differs.
    ///
    /// - rd-2025-1 (suggestion): jxj lead, replied on time (A) after a phone call, 满意; fgw cooperating, opinion on time.
    /// - rd-2025-2 (suggestion): jxj sole, replied late (B, reviewed to C) after a visit made after the reply, 基本满意.
    /// - zx-2025-3 (proposal): jxj sole, replied on time (C) with no contact, 不满意.
    /// - zx-2025-4 (proposal): fgw lead, never answered and overdue; jxj assisting, never answered and overdue;
    ///   swj was reassigned away (withdrawn, not counted).
    /// - rd-2025-5 (suggestion): jxj split, accepted 2025-10-02, due 2026-01-01: open, not overdue on 2025-11-30.
    /// - rd-2024-9 (suggestion, 2024): jxj sole, replied: another year, never counted in 2025.
    public static let year2025: [(EntityKey, String, JSONValue)] = {
        func item(_ id: String, _ kind: String, _ year: Int, assigned: String) -> [(EntityKey, String, JSONValue)] {
            let e = EntityKey.item(id: id)
            return [(e, "kind", .string(kind)), (e, "year", .int(Int64(year))), (e, "title", .string("题目\(id)")),
                    (e, "assignedAt", .string(assigned))]
        }
        func unit(_ id: String, _ site: String, _ role: String, _ more: [(String, JSONValue)] = []) -> [(EntityKey, String, JSONValue)] {
            let a = EntityKey.assignment(item: id, site: site)
            return [(a, "role", .string(role)), (a, "active", .bool(true))] + more.map { (a, $0.0, $0.1) }
        }
        func contact(_ id: String, _ site: String, _ n: Int, at: String, _ method: String) -> [(EntityKey, String, JSONValue)] {
            let c = EntityKey.contact(item: id, site: site, n: n)
            return [(c, "at", .string(at)), (c, "method", .string(method))]
        }
        func evaluation(_ id: String, _ site: String, _ e: String) -> (EntityKey, String, JSONValue) {
            (.feedback(item: id, site: site), "evaluation", .string(e))
        }
        var w: [(EntityKey, String, JSONValue)] = []
        w += item("rd-2025-1", "suggestion", 2025, assigned: "2025-03-20")
        w += unit("rd-2025-1", "jxj", "lead", [("replyAt", .string("2025-06-10")), ("replyCategory", .string("A"))])
        w += contact("rd-2025-1", "jxj", 1, at: "2025-04-01", "phone")
        w.append(evaluation("rd-2025-1", "jxj", "satisfied"))
        w += unit("rd-2025-1", "fgw", "cooperating", [("opinion", .string("同意")), ("opinionAt", .string("2025-04-10"))])

        w += item("rd-2025-2", "suggestion", 2025, assigned: "2025-03-20")
        w += unit("rd-2025-2", "jxj", "sole", [("replyAt", .string("2025-07-01")), ("replyCategory", .string("B")),
                                               ("finalCategory", .string("C"))])
        w += contact("rd-2025-2", "jxj", 1, at: "2025-07-05", "visit")
        w.append(evaluation("rd-2025-2", "jxj", "basic"))

        w += item("zx-2025-3", "proposal", 2025, assigned: "2025-03-20")
        w += unit("zx-2025-3", "jxj", "sole", [("replyAt", .string("2025-05-01")), ("replyCategory", .string("C"))])
        w.append(evaluation("zx-2025-3", "jxj", "unsatisfied"))

        w += item("zx-2025-4", "proposal", 2025, assigned: "2025-03-20")
        w += unit("zx-2025-4", "fgw", "lead")
        w += unit("zx-2025-4", "jxj", "assisting")
        w += unit("zx-2025-4", "swj", "cooperating", [("active", .bool(false))])

        w += item("rd-2025-5", "suggestion", 2025, assigned: "2025-10-01")
        w += unit("rd-2025-5", "jxj", "split", [("acceptedAt", .string("2025-10-02"))])

        w += item("rd-2024-9", "suggestion", 2024, assigned: "2024-03-20")
        w += unit("rd-2024-9", "jxj", "sole", [("replyAt", .string("2024-05-01")), ("replyCategory", .string("A"))])
        return w
    }()
}

