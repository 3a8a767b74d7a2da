import BanliCore
import BanliOffice

/// One input of a step's form, as the template draws it.
struct FormInput: Sendable {
    struct Option: Sendable { let value: String, label: String, selected: Bool }

    let name: String, label: String, value: String
    let isText: Bool, isTextarea: Bool, isDate: Bool, isSelect: Bool, required: Bool
    let options: [Option]

    static func text(_ name: String, _ label: String, _ value: String = "", required: Bool = false) -> FormInput {
        FormInput(name: name, label: label, value: value, isText: true, isTextarea: false, isDate: false, isSelect: false, required: required, options: [])
    }
    static func textarea(_ name: String, _ label: String, _ value: String = "", required: Bool = false) -> FormInput {
        FormInput(name: name, label: label, value: value, isText: false, isTextarea: true, isDate: false, isSelect: false, required: required, options: [])
    }
    static func date(_ name: String, _ label: String, _ value: String = "", required: Bool = false) -> FormInput {
        FormInput(name: name, label: label, value: value, isText: false, isTextarea: false, isDate: true, isSelect: false, required: required, options: [])
    }
    static func select(_ name: String, _ label: String, _ options: [(String, String)], selected: String = "", blank: Bool = false) -> FormInput {
        let all = (blank ? [("", "—")] : []) + options
        return FormInput(name: name, label: label, value: selected, isText: false, isTextarea: false, isDate: false, isSelect: true, required: !blank,
                         options: all.map { Option(value: $0.0, label: $0.1, selected: $0.0 == selected) })
    }
    /// The catalogue's values of an enumeration, labelled in Chinese.
    static func choice<E: CatalogueEnum>(_ name: String, _ label: String, _ type: E.Type, selected: String = "", blank: Bool = false) -> FormInput {
        select(name, label, E.allCases.map { ($0.rawValue, $0.label) }, selected: selected, blank: blank)
    }
}

/// A step offered on the item page: where it posts and what it asks.
struct StepForm: Sendable {
    let id: String, label: String, action: String, button: String, confirm: String
    let inputs: [FormInput]
}

/// The forms of the steps, and the writes each posted form asks of `Workflow` (the same calls as the CLI's verbs).
enum StepForms {
    static let yesNo = [("yes", "是"), ("no", "否")]

    static func inputs(_ step: Workflow.UnitStep, view: ItemView, site: String, today: ISODate) -> [FormInput] {
        let a = view.assignments[site] ?? AssignmentView(site: site)
        let day = today.description
        switch step {
        case .accept: return [.date("at", "签收日期", day, required: true)]
        case .requestReturn: return [.textarea("reason", "申请调整理由", required: true)]
        case .requestExtension: return [.textarea("reason", "延期理由", required: true), .date("until", "申请延期至")]
        case .handler:
            return [.text("section", "承办股室", a.values.string("section") ?? ""), .text("handler", "责任人", a.values.string("handler") ?? ""),
                    .text("contactPerson", "联系人", a.values.string("contactPerson") ?? ""), .text("phone", "联系电话", a.values.string("phone") ?? "")]
        case .contact:
            return [.date("at", "沟通日期", day, required: true), .choice("method", "沟通方式", ContactMethod.self), .textarea("note", "沟通情况")]
        case .opinion: return [.textarea("text", "会办意见", required: true), .date("at", "会办意见日期", day, required: true)]
        case .reply:
            return [.text("number", "答复文号"), .choice("category", "答复类别", ReplyCategory.self), .textarea("text", "答复内容", required: true),
                    .date("at", "答复日期", day, required: true), .text("signer", "签发人"),
                    .select("public", "拟公开", yesNo, blank: true), .text("publicReason", "公开/不公开理由")]
        case .track: return [.textarea("text", "跟踪落实情况", required: true)]
        }
    }

    static func writes(_ step: Workflow.UnitStep, form: WebForm, view: ItemView, site: String, today: ISODate) throws -> [LocalWrite] {
        switch step {
        case .accept: return try Workflow.accept(view, site: site, at: form.date("at", "签收日期", or: today))
        case .requestReturn: return try Workflow.requestReturn(view, site: site, reason: form.required("reason", "申请调整理由"))
        case .requestExtension:
            let until = try form["until"].map { _ in try form.date("until", "申请延期至", or: today) }
            return try Workflow.requestExtension(view, site: site, reason: form.required("reason", "延期理由"), until: until)
        case .handler:
            return try Workflow.handler(view, site: site, section: form["section"], handler: form["handler"],
                                        contactPerson: form["contactPerson"], phone: form["phone"])
        case .contact:
            let method: ContactMethod = try form.choice(.contact, "method", "沟通方式")
            return try Workflow.contact(view, site: site, at: form.date("at", "沟通日期", or: today), method: method, note: form.text("note"))
        case .opinion:
            return try Workflow.opinion(view, site: site, text: form.text("text") ?? "", at: form.date("at", "会办意见日期", or: today))
        case .reply:
            let category: ReplyCategory = try FieldCatalogue.choice(.assignment, "replyCategory", form.required("category", "答复类别"))
            var publicProposal: JSONValue?
            if let p = form["public"] {
                var o: [String: JSONValue] = ["public": .bool(p == "yes")]
                if let r = form["publicReason"] { o["reason"] = .string(r) }
                publicProposal = .object(o)
            }
            let reply = Workflow.Reply(number: form["number"], category: category, text: form.text("text") ?? "",
                                       at: try form.date("at", "答复日期", or: today), signer: form["signer"], publicProposal: publicProposal)
            return try Workflow.reply(view, site: site, reply)
        case .track: return try Workflow.track(view, site: site, text: form.text("text") ?? "")
        }
    }

    static func inputs(_ step: Workflow.OfficeStep, view: ItemView, site: String, today: ISODate, due: ISODate?, units: [(String, String)]) -> [FormInput] {
        switch step {
        case .extend: return [.date("due", "新的办理时限", due?.addingDays(30).description ?? "", required: true)]
        case .category:
            let current = view.assignments[site]?.category?.rawValue ?? ""
            return [.choice("category", "审定类别", ReplyCategory.self, selected: current)]
        case .feedback:
            return [.choice("evaluation", "办理评价", Evaluation.self), .choice("effect", "办理效果", Effect.self, blank: true),
                    .select("public", "是否公开", yesNo, blank: true), .textarea("comment", "意见"), .date("received", "收到日期", today.description, required: true)]
        case .rehandle: return [.date("at", "重新办理日期", today.description, required: true)]
        case .reassign:
            let role = view.assignments[site]?.role?.rawValue ?? ""
            return [.select("to", "改由", units.filter { $0.0 != site }), .choice("role", "承办方式", Role.self, selected: role)]
        }
    }

    static func writes(
        _ step: Workflow.OfficeStep, form: WebForm, view: ItemView, site: String, today: ISODate, deadlines: Deadlines
    ) throws -> [LocalWrite] {
        switch step {
        case .extend:
            let due = try form.date("due", "新的办理时限", or: today)
            return try Workflow.extend(view, site: site, due: due, today: today, deadlines: deadlines)
        case .category:
            return try Workflow.category(view, site: site, category: FieldCatalogue.choice(.assignment, "finalCategory", form.required("category", "审定类别")))
        case .feedback:
            let f = Workflow.Feedback(
                evaluation: try form.choice(.feedback, "evaluation", "办理评价"),
                effect: try form["effect"].map { try FieldCatalogue.choice(.feedback, "effect", $0) },
                isPublic: form["public"].map { $0 == "yes" }, comment: form.text("comment"),
                receivedAt: try form.date("received", "收到日期", or: today))
            return try Workflow.feedback(view, site: site, f)
        case .rehandle: return try Workflow.rehandle(view, site: site, at: form.date("at", "重新办理日期", or: today))
        case .reassign:
            let role: Role = try form.choice(.assignment, "role", "承办方式")
            return try Workflow.reassign(view, from: site, to: form.required("to", "改由"), role: role)
        }
    }
}
