import BanliCore
import BanliSecrets
import Foundation
import Hummingbird

/// A posted form (`application/x-www-form-urlencoded`, or `multipart/form-data` with a file), read only after its
/// CSRF token matched: handlers get their fields and files through this type alone, so no form can be acted on
/// without the check.
struct WebForm: Sendable {
    private var fields: [(name: String, value: String)]
    /// The file parts of a multipart form.
    private var files: [Multipart.Part] = []

    /// Collects and parses the body and checks its `_csrf` field against `expected` in constant time.
    static func read(_ request: Request, context: WebContext, expected: String, maxBytes: Int) async throws -> WebForm {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBytes)
        } catch {
            throw WebError(.contentTooLarge, "表单内容超过 \(maxBytes >> 20) MB，请分次提交或缩短正文。")
        }
        let form: WebForm
        if let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/") {
            do {
                form = try WebForm(multipart: Array(buffer.readableBytesView), boundary: Multipart.boundary(contentType: type))
            } catch let failure as Multipart.Failure {
                throw WebError(.badRequest, failure.message)
            }
        } else {
            form = WebForm(urlEncoded: String(buffer: buffer))
        }
        guard let token = form["_csrf"], ConstantTime.equal(token, expected) else {
            throw WebError(.forbidden, "页面已失效（缺少或不符的安全令牌），请刷新页面后重新提交。")
        }
        return form
    }

    init(urlEncoded body: String) {
        fields = body.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// A multipart body's fields (text parts, which must be UTF-8) and files (parts with a filename).
    init(multipart body: [UInt8], boundary: [UInt8]) throws {
        fields = []
        for part in try Multipart.parse(body, boundary: boundary) {
            if part.filename != nil {
                files.append(part)
            } else {
                guard let text = String(validating: part.body, as: UTF8.self) else {
                    throw Multipart.Failure("表单字段“\(part.name.prefix(40))”不是 UTF-8 文本，请用页面上的表单提交。")
                }
                fields.append((part.name, text))
            }
        }
    }

    /// The uploaded file of a file input: its name as the browser sent it and its bytes; nil when none was chosen.
    func file(_ name: String) -> (filename: String, bytes: [UInt8])? {
        guard let part = files.first(where: { $0.name == name }), let filename = part.filename, !filename.isEmpty || !part.body.isEmpty else {
            return nil
        }
        return (filename, part.body)
    }

    /// The field's value with surrounding white space removed; nil when absent or blank.
    subscript(_ name: String) -> String? {
        guard let v = fields.first(where: { $0.name == name })?.value.trimmedWhitespace, !v.isEmpty else { return nil }
        return v
    }

    /// The field's text as typed (a reply keeps its line breaks and indentation); nil when blank.
    func text(_ name: String) -> String? {
        guard let v = fields.first(where: { $0.name == name })?.value, !v.trimmedWhitespace.isEmpty else { return nil }
        return v.replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// Every value of a repeated field, blanks dropped.
    func all(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value.trimmedWhitespace).filter { !$0.isEmpty }
    }

    /// A required field, or the sentence that asks for it.
    func required(_ name: String, _ label: String) throws -> String {
        guard let v = self[name] else { throw WebError(.badRequest, "请填写“\(label)”。") }
        return v
    }

    /// A date field (YYYY-MM-DD), or `fallback` when blank.
    func date(_ name: String, _ label: String, or fallback: ISODate) throws -> ISODate {
        guard let text = self[name] else { return fallback }
        guard let d = ISODate(text) else { throw WebError(.badRequest, "“\(label)”应为日期，例如 2025-05-20，而不是“\(text.prefix(40))”。") }
        return d
    }

    /// An enumerated field by the catalogue.
    func choice<E: CatalogueEnum>(_ kind: EntityKind, _ field: String, _ label: String) throws -> E {
        try FieldCatalogue.choice(kind, field, try required(field, label))
    }
}

/// A refusal the workbench shows as a page: a status and one sentence.
struct WebError: Error {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
