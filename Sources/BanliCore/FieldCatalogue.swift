/// Who naturally writes a field: the office's hub, or the unit the row belongs to.
public enum FieldAuthor: String, Sendable {
    case hub
    case unit
}

/// One field of the catalogue (DESIGN §2, pinned names).
public struct FieldSpec: Sendable, Hashable {
    /// The entity kind the field belongs to.
    public var entity: EntityKind
    /// The pinned field name, e.g. `replyCategory`.
    public var name: String
    /// The value type.
    public var type: ValueType
    /// The natural author.
    public var author: FieldAuthor
    /// The Chinese label clerks read.
    public var label: String

    public init(_ entity: EntityKind, _ name: String, _ type: ValueType, _ author: FieldAuthor, _ label: String) {
        self.entity = entity
        self.name = name
        self.type = type
        self.author = author
        self.label = label
    }

    /// The site whose writes rank first for this field of `entity`.
    public func naturalAuthor(of entity: EntityKey, hubSite: String) -> String {
        author == .hub ? hubSite : (entity.site ?? hubSite)
    }
}

/// The field catalogue: every replicated field, its type, author and label.
public enum FieldCatalogue {
    public static let itemKinds = [EnumCase("suggestion", "建议"), EnumCase("proposal", "提案")]
    public static let roles = [
        EnumCase("sole", "独办"), EnumCase("lead", "主办"), EnumCase("split", "分办"),
        EnumCase("cooperating", "会办"), EnumCase("assisting", "协办"),
    ]
    public static let replyCategories = [
        EnumCase("A", "已解决或基本解决"), EnumCase("B", "正在解决或列入计划"),
        EnumCase("C", "以后解决"), EnumCase("D", "留作参考"),
    ]
    public static let contactMethods = [
        EnumCase("visit", "上门走访"), EnumCase("meeting", "约见"), EnumCase("phone", "电话联系"),
        EnumCase("letter", "信函"), EnumCase("forum", "座谈会"), EnumCase("other", "其他"),
    ]
    public static let effects = [
        EnumCase("solved", "解决或基本解决"), EnumCase("solving", "正在解决"),
        EnumCase("later", "以后解决"), EnumCase("unsolvable", "无法解决"),
    ]
    public static let evaluations = [
        EnumCase("satisfied", "满意"), EnumCase("basic", "基本满意"), EnumCase("unsatisfied", "不满意"),
    ]
    public static let unitKinds = [EnumCase("office", "交办机关"), EnumCase("bureau", "承办单位")]

    /// Every field, in catalogue order.
    public static let all: [FieldSpec] = [
        FieldSpec(.unit, "name", .string, .hub, "单位名称"),
        FieldSpec(.unit, "kind", .enumeration(unitKinds), .hub, "单位类型"),

        FieldSpec(.item, "kind", .enumeration(itemKinds), .hub, "类别"),
        FieldSpec(.item, "number", .int, .hub, "编号"),
        FieldSpec(.item, "year", .int, .hub, "年度"),
        FieldSpec(.item, "session", .string, .hub, "届次"),
        FieldSpec(.item, "title", .string, .hub, "标题"),
        FieldSpec(.item, "body", .text, .hub, "内容"),
        FieldSpec(.item, "proposers", .strings, .hub, "建议人/提案人"),
        FieldSpec(.item, "category", .string, .hub, "分类"),
        FieldSpec(.item, "key", .bool, .hub, "重点"),
        FieldSpec(.item, "supervisor", .string, .hub, "督办领导"),
        FieldSpec(.item, "assignedAt", .date, .hub, "交办日期"),
        FieldSpec(.item, "dueAt", .date, .hub, "办理时限"),
        FieldSpec(.item, "mergedInto", .itemId, .hub, "并案"),
        FieldSpec(.item, "withdrawn", .bool, .hub, "撤回"),
        FieldSpec(.item, "closedAt", .date, .hub, "办结日期"),
        FieldSpec(.item, "publishedAt", .date, .hub, "公开日期"),

        FieldSpec(.assignment, "role", .enumeration(roles), .hub, "承办方式"),
        FieldSpec(.assignment, "active", .bool, .hub, "有效"),
        FieldSpec(.assignment, "dueAt", .date, .hub, "办理时限"),
        FieldSpec(.assignment, "opinionDueAt", .date, .hub, "会办意见时限"),
        FieldSpec(.assignment, "finalCategory", .enumeration(replyCategories), .hub, "审定类别"),
        FieldSpec(.assignment, "rehandleAt", .date, .hub, "重新办理日期"),
        FieldSpec(.assignment, "acceptedAt", .date, .unit, "签收日期"),
        FieldSpec(.assignment, "returnRequest", .text, .unit, "申请调整理由"),
        FieldSpec(.assignment, "extensionRequest", .text, .unit, "申请延期"),
        FieldSpec(.assignment, "section", .string, .unit, "承办股室"),
        FieldSpec(.assignment, "handler", .string, .unit, "责任人"),
        FieldSpec(.assignment, "contactPerson", .string, .unit, "联系人"),
        FieldSpec(.assignment, "phone", .string, .unit, "联系电话"),
        FieldSpec(.assignment, "progress", .text, .unit, "办理进展"),
        FieldSpec(.assignment, "opinion", .text, .unit, "会办意见"),
        FieldSpec(.assignment, "opinionAt", .date, .unit, "会办意见日期"),
        FieldSpec(.assignment, "replyNumber", .string, .unit, "答复文号"),
        FieldSpec(.assignment, "replyText", .text, .unit, "答复内容"),
        FieldSpec(.assignment, "replyCategory", .enumeration(replyCategories), .unit, "答复类别"),
        FieldSpec(.assignment, "replyAt", .date, .unit, "答复日期"),
        FieldSpec(.assignment, "replySigner", .string, .unit, "签发人"),
        FieldSpec(.assignment, "publicProposal", .publicFlag, .unit, "拟公开"),
        FieldSpec(.assignment, "tracking", .text, .unit, "跟踪落实"),

        FieldSpec(.contact, "at", .date, .unit, "沟通日期"),
        FieldSpec(.contact, "method", .enumeration(contactMethods), .unit, "沟通方式"),
        FieldSpec(.contact, "note", .text, .unit, "沟通情况"),

        FieldSpec(.feedback, "receivedAt", .date, .hub, "收到日期"),
        FieldSpec(.feedback, "effect", .enumeration(effects), .hub, "办理效果"),
        FieldSpec(.feedback, "evaluation", .enumeration(evaluations), .hub, "办理评价"),
        FieldSpec(.feedback, "public", .bool, .hub, "是否公开"),
        FieldSpec(.feedback, "comment", .text, .hub, "意见"),
    ]

    private static let index: [EntityKind: [String: FieldSpec]] = {
        var d: [EntityKind: [String: FieldSpec]] = [:]
        for f in all { d[f.entity, default: [:]][f.name] = f }
        return d
    }()

    /// The spec of `field` on entities of `kind`, or nil.
    public static func spec(_ kind: EntityKind, _ field: String) -> FieldSpec? {
        index[kind]?[field]
    }

    /// The spec of `field` on `kind`, or a clear error naming the fields that exist.
    public static func require(_ kind: EntityKind, _ field: String) throws -> FieldSpec {
        if let s = spec(kind, field) { return s }
        let names = all.filter { $0.entity == kind }.map(\.name).joined(separator: ", ")
        throw BanliError(.unknownField, "'\(field.prefix(60))' is not a field of \(kind.rawValue) entities; the fields are: \(names).")
    }

    /// The fields of one entity kind, in catalogue order.
    public static func fields(of kind: EntityKind) -> [FieldSpec] {
        all.filter { $0.entity == kind }
    }

    /// The entity kinds that have a field of this name, in the order `item set` looks for them.
    public static func kinds(having field: String) -> [EntityKind] {
        [.item, .assignment, .feedback, .contact, .unit].filter { spec($0, field) != nil }
    }
}
