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
    public static let itemKinds = ItemKind.enumCases
    public static let roles = Role.enumCases
    public static let replyCategories = ReplyCategory.enumCases
    public static let contactMethods = ContactMethod.enumCases
    public static let effects = Effect.enumCases
    public static let evaluations = Evaluation.enumCases
    public static let feedbackContacts = FeedbackContact.enumCases
    public static let feedbackSources = FeedbackSource.enumCases
    public static let unitKinds = [EnumCase("office", "交办机关"), EnumCase("bureau", "承办单位")]

    /// Every field, in catalogue order.
    public static let all: [FieldSpec] = [
        FieldSpec(.unit, "name", .string, .hub, "单位名称"),
        FieldSpec(.unit, "kind", .enumeration(unitKinds), .hub, "单位类型"),
        // Short and former names clerks write (省发改委), for import and every --unit option.
        FieldSpec(.unit, "aliases", .strings, .hub, "简称"),
        // The office's settings, on the hub's own directory entry so bureaus see them too: the level of its
        // jurisdiction (市, 县, 省), printed in reports and on the 征询意见表.
        FieldSpec(.unit, "jurisdiction", .string, .hub, "辖区"),

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
        // The reason of the office's last correction or reopening; the history keeps every one beside the change.
        FieldSpec(.item, "correction", .text, .hub, "更正说明"),

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
        // Issue 18: the form deployed systems use asks for satisfaction with the handling work and with its result
        // separately, and how the unit got in touch; `evaluation` stays the single answer every rate counts.
        FieldSpec(.feedback, "workEvaluation", .enumeration(evaluations), .hub, "对办理工作的评价"),
        FieldSpec(.feedback, "resultEvaluation", .enumeration(evaluations), .hub, "对办理结果的评价"),
        FieldSpec(.feedback, "contactMethod", .enumeration(feedbackContacts), .hub, "沟通方式"),
        // Who gave the answer and how: the deputy through the one-time link (online, with the time to the second),
        // or the office typing a paper form.
        FieldSpec(.feedback, "source", .enumeration(feedbackSources), .hub, "意见来源"),
        FieldSpec(.feedback, "answeredAt", .string, .hub, "网上填写时间"),
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

/// An enumerated field's values as a Swift type: stored and sent as `rawValue` (pinned), shown as `label`.
public protocol CatalogueEnum: RawRepresentable, CaseIterable, Sendable, Hashable where RawValue == String {
    /// The Chinese label clerks read and type.
    var label: String { get }
}

extension CatalogueEnum {
    /// The values with their labels, in declaration order, as the catalogue lists them.
    public static var enumCases: [EnumCase] { allCases.map { EnumCase($0.rawValue, $0.label) } }

    /// The values as command help lists them: `sole 独办 | lead 主办 | …`.
    public static func choices(separator: String = " | ") -> String {
        allCases.map { "\($0.rawValue) \($0.label)" }.joined(separator: separator)
    }
}

/// 类别: a deputy's suggestion (人大代表建议) or a member's proposal (政协提案).
public enum ItemKind: String, CatalogueEnum {
    case suggestion, proposal

    public var label: String {
        switch self {
        case .suggestion: "建议"
        case .proposal: "提案"
        }
    }
}

/// 承办方式: how a unit takes part in handling an item.
public enum Role: String, CatalogueEnum {
    case sole, lead, split, cooperating, assisting

    public var label: String {
        switch self {
        case .sole: "独办"
        case .lead: "主办"
        case .split: "分办"
        case .cooperating: "会办"
        case .assisting: "协办"
        }
    }

    /// Cooperating and assisting units give an opinion (会办意见) to the lead unit instead of replying.
    public var givesOpinion: Bool { self == .cooperating || self == .assisting }
}

/// 答复类别 A/B/C/D.
public enum ReplyCategory: String, CatalogueEnum {
    case a = "A", b = "B", c = "C", d = "D"

    public var label: String {
        switch self {
        case .a: "已解决或基本解决"
        case .b: "正在解决或列入计划"
        case .c: "以后解决"
        case .d: "留作参考"
        }
    }
}

/// 沟通方式: how a unit got in touch with the proposer.
public enum ContactMethod: String, CatalogueEnum {
    case visit, meeting, phone, letter, forum, other

    public var label: String {
        switch self {
        case .visit: "上门走访"
        case .meeting: "约见"
        case .phone: "电话联系"
        case .letter: "信函"
        case .forum: "座谈会"
        case .other: "其他"
        }
    }

    /// A visit, meeting or forum: what counts as 面商 (face to face).
    public var isFaceToFace: Bool { self == .visit || self == .meeting || self == .forum }
}

/// 办理效果, as the proposer ticks it on the 征询意见表.
public enum Effect: String, CatalogueEnum {
    case solved, solving, later, unsolvable

    public var label: String {
        switch self {
        case .solved: "解决或基本解决"
        case .solving: "正在解决"
        case .later: "以后解决"
        case .unsolvable: "无法解决"
        }
    }
}

/// 办理评价, as the proposer ticks it on the 征询意见表.
public enum Evaluation: String, CatalogueEnum {
    case satisfied, basic, unsatisfied

    public var label: String {
        switch self {
        case .satisfied: "满意"
        case .basic: "基本满意"
        case .unsatisfied: "不满意"
        }
    }
}

/// 沟通方式 as the proposer answers it on the 征询意见表: the unit's contact methods, or none at all.
public enum FeedbackContact: String, CatalogueEnum {
    case visit, meeting, phone, letter, forum, other, none

    public var label: String { ContactMethod(rawValue: rawValue)?.label ?? "未联系" }
}

/// Where a 征询意见 came from: the deputy online through a one-time link, or a paper form the office typed in.
public enum FeedbackSource: String, CatalogueEnum {
    case online, paper

    public var label: String {
        switch self {
        case .online: "网上征询"
        case .paper: "纸质"
        }
    }
}
