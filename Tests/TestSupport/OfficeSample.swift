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
}
