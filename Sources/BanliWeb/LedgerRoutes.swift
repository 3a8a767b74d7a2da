import BanliCore
import BanliHubStorage
import BanliOffice
import Foundation
import Hummingbird
import NIOCore

/// 台账: upload an import and preview it with every refusal on its row and cell before anything is written, confirm
/// it (planned again, then written all or nothing), and download the export in UTF-8 with a BOM or in GB18030.
/// The import and the export are `LedgerImportPlan` and `LedgerExport`, the code `banli import` and `banli export` run.
struct LedgerRoutes {
    let app: WebApp

    /// Rows shown in a preview; the rows with a problem are shown whatever their number.
    static let shownRows = 500

    func register(on router: Router<WebContext>) {
        router.get("/ledger") { request, context in page(request, context) }
        router.post("/ledger/preview") { request, context in
            let form = try await app.form(request, context)
            try requireImport(context)
            guard let file = form.file("file") else { throw WebError(.badRequest, "请选择要上传的台账文件（CSV）。") }
            let encoding = try Self.encoding(form["encoding"])
            let l = Language(request)
            let text: String
            do {
                text = try TextEncoding.decode(file.bytes, as: encoding)
            } catch is BanliError {
                let sentence = encoding == .utf8
                    ? l.t("这个文件不是 UTF-8 编码；Excel 保存的 CSV 多为 GB18030，请在“编码”里选 GB18030 后重新上传。",
                          "The file is not UTF-8; Excel in China saves CSV as GB18030: choose GB18030 and upload it again.")
                    : l.t("这个文件不是 GB18030 编码；请在“编码”里选 UTF-8 后重新上传。", "The file is not GB18030; choose UTF-8 and upload it again.")
                return preview(request, context, filename: file.filename, text: "", outcome: .refused(LedgerRefusal(LedgerProblem(message: sentence))))
            }
            return try await preview(request, context, filename: file.filename, text: text, outcome: plan(text))
        }
        router.post("/ledger/confirm") { request, context in
            let form = try await app.form(request, context)
            try requireImport(context)
            let filename = form["filename"] ?? ""
            guard let payload = form["text"], let data = Data(base64Encoded: payload), let text = String(data: data, encoding: .utf8) else {
                throw WebError(.badRequest, "确认的内容不完整，请重新上传文件。")
            }
            let offices = ledgerOffices, deadlines = app.workspace.deadlines, person = context.session?.user.name
            // Planned again now: the stores may have changed since the preview. Refused, it writes nothing.
            let outcome = try await offload { () -> Outcome in
                do {
                    let plan = try LedgerImportPlan.make(text: text, offices: offices, deadlines: deadlines, needsOneOffice: Self.needsOneOffice)
                    try plan.write(person: person)
                    return .planned(plan)
                } catch let refusal as LedgerRefusal {
                    return .refused(refusal)
                }
            }
            guard case .planned(let plan) = outcome else { return preview(request, context, filename: filename, text: text, outcome: outcome) }
            for share in plan.shares {
                app.logger.info("web import", metadata: ["user": "\(person ?? "")", "office": "\(share.office.key)", "fields": "\(share.plan.writes.count)"])
            }
            let l = Language(request)
            let done = plan.shares.map { s in
                let office = offices.count > 1 ? "\(s.office.name)：" : ""
                return office + l.t("已导入 \(s.imported.items.count) 项事项、\(s.imported.assignments) 个承办单位：写入 \(s.plan.writes.count) 个字段，"
                                    + "\(s.plan.unchanged) 个未变。",
                                    "Imported \(s.imported.items.count) items and \(s.imported.assignments) assignments: "
                                    + "\(s.plan.writes.count) fields written, \(s.plan.unchanged) unchanged.")
            }.joined(separator: " ")
            return page(request, context, notice: done)
        }
        router.get("/ledger/export") { request, context in try await export(request) }
    }

    // MARK: The page

    struct Texts {
        let heading, importHeading, importHint, file, encoding, gb18030, utf8, preview, exportHeading, exportHint: String
        let previewHeading, again, planHeading, office, items, assignments, written, unchanged, confirmHint, confirm, cancel, rowsHeading: String
        init(_ l: Language) {
            heading = l.t("台账", "Ledger")
            importHeading = l.t("导入台账", "Import a ledger")
            importHint = l.t("先预览：有错的单元格会标在所在行，全部无误才能确认导入；导入要么全部写入，要么一项也不写。",
                             "A preview comes first: every wrong cell is marked on its line, and only a clean file can be imported, all or nothing.")
            file = l.t("CSV 文件", "CSV file")
            encoding = l.t("编码", "Encoding")
            gb18030 = l.t("GB18030（Excel 默认保存）", "GB18030 (as Excel in China saves)")
            utf8 = l.t("UTF-8（带 BOM）", "UTF-8 (with BOM)")
            preview = l.t("预览", "Preview")
            exportHeading = l.t("导出台账", "Export the ledger")
            exportHint = l.t("每个承办单位一行，含全部办理字段和状态；可用 Excel 打开。", "One row per assignment with every field and the status; opens in Excel.")
            previewHeading = l.t("导入预览", "Import preview")
            again = l.t("改正后重新上传", "Fix the file and upload it again")
            planHeading = l.t("将要导入", "What the import will do")
            office = l.t("交办机关", "Office")
            items = l.t("事项", "Items")
            assignments = l.t("承办单位", "Assignments")
            written = l.t("写入字段", "Fields written")
            unchanged = l.t("未变", "Unchanged")
            confirmHint = l.t("确认时会按库里的最新情况再核对一遍。", "The file is checked again against the stores when you confirm.")
            confirm = l.t("确认导入", "Import")
            cancel = l.t("取消", "Cancel")
            rowsHeading = l.t("文件内容", "The file")
        }
    }

    struct PageContext { let t: Texts, csrf: String, mayImport: Bool }

    func page(_ request: Request, _ context: WebContext, notice: String? = nil) -> Response {
        let l = Language(request)
        let c = PageContext(t: Texts(l), csrf: context.session?.csrfToken ?? "", mayImport: app.mayActForUnit(context))
        return WebPages.page(app, request, context, title: Texts(l).heading, current: "/ledger", body: PageTemplates.ledger.render(c), notice: notice)
    }

    func requireImport(_ context: WebContext) throws {
        guard app.mayActForUnit(context) else { throw WebError(.forbidden, "您的账号只能查看和导出台账，不能导入。") }
    }

    static func encoding(_ name: String?) throws -> TextEncoding {
        guard let e = TextEncoding(name: name ?? "utf-8") else {
            throw WebError(.badRequest, "编码只能是 UTF-8 或 GB18030，而不是“\((name ?? "").prefix(20))”。")
        }
        return e
    }

    static let needsOneOffice = BanliError(
        .usage, "这个文件没有“交办机关”列，而本单位对应多个交办机关；请在文件第一列写明交办机关（导出的台账自带这一列）。")

    var ledgerOffices: [LedgerOffice] { app.workspace.offices }

    // MARK: Preview

    enum Outcome: Sendable {
        case planned(LedgerImportPlan)
        case refused(LedgerRefusal)
    }

    /// Plans `text` against the stores, writing nothing.
    func plan(_ text: String) async throws -> Outcome {
        let offices = ledgerOffices, deadlines = app.workspace.deadlines
        return try await offload { () -> Outcome in
            do {
                return .planned(try LedgerImportPlan.make(text: text, offices: offices, deadlines: deadlines, needsOneOffice: Self.needsOneOffice))
            } catch let refusal as LedgerRefusal {
                return .refused(refusal)
            }
        }
    }

    struct Cell { let cls: String, text: String }
    struct Row { let cls: String, line: Int, cells: [Cell], problems: [String] }
    struct Share { let office: String, items: Int, assignments: Int, written: Int, unchanged: Int }
    struct PreviewContext {
        let t: Texts, csrf: String, filename: String, refused: Bool, summary: String, fileProblems: [String]
        let clean: Bool, shares: [Share], payload: String, anyRows: Bool, rows: [Row], hasMore: Bool, more: String
    }

    func preview(_ request: Request, _ context: WebContext, filename: String, text: String, outcome: Outcome) -> Response {
        let l = Language(request)
        var problems: [LedgerProblem] = []
        var shares: [Share] = []
        switch outcome {
        case .refused(let r): problems = r.problems
        case .planned(let p):
            shares = p.shares.map {
                Share(office: $0.office.name, items: $0.imported.items.count, assignments: $0.imported.assignments, written: $0.plan.writes.count,
                      unchanged: $0.plan.unchanged)
            }
        }
        // The file as a clerk sees it in a spreadsheet; a file that does not parse as CSV is shown line by line.
        let records = (try? CSV.readRecords(text)) ?? text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().map {
            CSV.Record(line: $0.offset + 1, fields: [String($0.element)])
        }
        var byLine: [Int: [LedgerProblem]] = [:]
        for p in problems { if let line = p.line { byLine[line, default: []].append(p) } }
        let lines = Set(records.map(\.line))
        let width = records.map(\.fields.count).max() ?? 0
        var rows: [Row] = []
        var hidden = 0
        for (i, r) in records.enumerated() {
            let here = byLine[r.line] ?? []
            guard i < Self.shownRows || !here.isEmpty else { hidden += 1; continue }
            let bad = Set(here.compactMap(\.column))
            let cells = (0..<max(width, (bad.max() ?? -1) + 1)).map { c in
                Cell(cls: bad.contains(c) ? "bad" : "", text: c < r.fields.count ? r.fields[c] : "")
            }
            rows.append(Row(cls: here.isEmpty ? "" : "refused", line: r.line, cells: cells, problems: here.map(\.sentence)))
        }
        let elsewhere = problems.filter { $0.line.map { !lines.contains($0) } ?? true }.map(\.sentence)
        let count = problems.count
        let summary = l.t("这个文件有 \(count) 处错误，没有导入任何内容；错误标在所在的行和单元格上。",
                          "The file has \(count) problem\(count == 1 ? "" : "s"); nothing was imported. Each is marked on its line and cell.")
        let refused: Bool = if case .refused = outcome { true } else { false }
        let c = PreviewContext(
            t: Texts(l), csrf: context.session?.csrfToken ?? "", filename: filename, refused: refused, summary: summary,
            fileProblems: elsewhere, clean: !refused, shares: shares, payload: Data(text.utf8).base64EncodedString(), anyRows: !rows.isEmpty,
            rows: rows, hasMore: hidden > 0, more: l.t("另有 \(hidden) 行未显示。", "\(hidden) more lines are not shown."))
        return WebPages.page(app, request, context, title: Texts(l).previewHeading, current: "/ledger", body: PageTemplates.ledgerPreview.render(c),
                             status: refused ? .unprocessableContent : .ok)
    }

    // MARK: Export

    func export(_ request: Request) async throws -> Response {
        let encoding = try Self.encoding(request.uri.queryParameters.get("encoding"))
        let offices = ledgerOffices, workspace = app.workspace
        let (bytes, today) = try await offload { () -> ([UInt8], ISODate) in
            let today = try workspace.today()
            let file = try LedgerExport.file(offices: offices, namingOffices: offices.count > 1, format: .csv, encoding: encoding, today: today,
                                             deadlines: workspace.deadlines)
            return (file.bytes, today)
        }
        let name = "台账-\(today).csv"
        let ascii = "ledger-\(today).csv"
        let charset = encoding == .utf8 ? "utf-8" : "gb18030"
        return Response(status: .ok, headers: [
            .contentType: "text/csv; charset=\(charset)",
            .contentDisposition: "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(Self.rfc5987(name))",
        ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// RFC 5987's `value-chars`: attr-chars as they are, every other byte of the UTF-8 as `%XX`.
    static func rfc5987(_ s: String) -> String {
        let attrChars = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        return s.utf8.map { attrChars.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
    }
}
