/// A strict `multipart/form-data` reader (RFC 7578 over RFC 2046) for the workbench's one upload, the 台账 file.
/// Pure: it reads a body already collected within `WebSettings.maxFormBytes` and never reads past it; anything that
/// is not a well-formed body a browser sends is refused with one sentence (every function here throws `Failure`).
enum Multipart {
    /// One part of the body.
    struct Part: Sendable, Equatable {
        /// The form field's name.
        var name: String
        /// The file's name as the browser sent it, for a file input; nil for a plain field.
        var filename: String?
        /// The part's declared type, if any.
        var contentType: String?
        /// The part's bytes, exactly.
        var body: [UInt8]
    }

    /// Why a body was refused: one sentence for the page.
    struct Failure: Error, Sendable, Equatable {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// Browsers send a handful of fields; more parts than this is not a form of ours.
    static let maxParts = 64
    /// Browsers send two or three short header lines per part.
    static let maxHeaderBytes = 8 << 10

    /// The boundary of a `Content-Type: multipart/form-data; boundary=…` value (quoted or not), checked against
    /// RFC 2046's alphabet and length.
    static func boundary(contentType: String) throws -> [UInt8] {
        let parts = contentType.split(separator: ";").map { $0.trimmingSpaces }
        guard parts.first?.lowercased() == "multipart/form-data" else { throw Failure("上传的内容不是表单文件（multipart/form-data），请用页面上的表单上传。") }
        for p in parts.dropFirst() {
            guard let eq = p.firstIndex(of: "="), p[..<eq].trimmingSpaces.lowercased() == "boundary" else { continue }
            var value = p[p.index(after: eq)...].trimmingSpaces
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            let allowed = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ".unicodeScalars)
            guard (1...70).contains(value.unicodeScalars.count), value.unicodeScalars.allSatisfy(allowed.contains), value.last != " " else {
                throw Failure("上传表单的分隔符（boundary）不合规范，请用页面上的表单重新上传。")
            }
            return Array(value.utf8)
        }
        throw Failure("上传表单缺少分隔符（boundary），请用页面上的表单重新上传。")
    }

    /// The parts of `body`, in order. Refuses a body without its opening or closing delimiter, a part without
    /// `Content-Disposition: form-data; name=…`, headers that are too long or not UTF-8, and too many parts.
    static func parse(_ body: [UInt8], boundary: [UInt8]) throws -> [Part] {
        let delimiter = Array("--".utf8) + boundary
        let truncated = Failure("上传的内容不完整（被截断或格式不对），请重新上传。")
        // The first delimiter opens the body: at its very start, or after a preamble ending in CRLF.
        var i: Int
        if body.starts(with: delimiter) {
            i = delimiter.count
        } else if let at = find(crlf + delimiter, in: body, from: 0) {
            i = at + 2 + delimiter.count
        } else {
            throw truncated
        }
        var parts: [Part] = []
        while true {
            // After a delimiter: `--` closes the body; else optional white space, then CRLF, then a part.
            if has(Array("--".utf8), in: body, at: i) { return parts }
            while i < body.count, body[i] == 0x20 || body[i] == 0x09 { i += 1 }
            guard has(crlf, in: body, at: i) else { throw truncated }
            i += 2
            guard !has(crlf, in: body, at: i) else { throw Failure("上传表单的一个部分没有 Content-Disposition 头。") }
            guard parts.count < maxParts else { throw Failure("上传的表单有太多部分（超过 \(maxParts) 个），请用页面上的表单上传。") }
            guard let headerEnd = find(crlf + crlf, in: body, from: i, limit: i + maxHeaderBytes) else {
                let complete = find(crlf + crlf, in: body, from: i) != nil
                throw complete ? Failure("上传表单的一个部分的头太长（超过 \(maxHeaderBytes >> 10) KB），请用页面上的表单上传。") : truncated
            }
            var part = try headers(Array(body[i..<headerEnd]))
            let start = headerEnd + 4
            guard let end = find(crlf + delimiter, in: body, from: start) else { throw truncated }
            part.body = Array(body[start..<end])
            parts.append(part)
            i = end + 2 + delimiter.count
        }
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// A part's header block: `Content-Disposition` (required, `form-data` with a name) and `Content-Type`.
    static func headers(_ bytes: [UInt8]) throws -> Part {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure("上传表单的头不是 UTF-8 文本，请用页面上的表单上传。") }
        var name: String?, filename: String?, contentType: String?
        var sawDisposition = false
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: false) {
            guard let colon = line.firstIndex(of: ":") else { throw Failure("上传表单的头有一行不是“名称: 值”的形式，请用页面上的表单上传。") }
            let field = line[..<colon].trimmingSpaces.lowercased(), value = String(line[line.index(after: colon)...])
            switch field {
            case "content-disposition":
                guard !sawDisposition else { throw Failure("上传表单的一个部分有两个 Content-Disposition 头。") }
                sawDisposition = true
                let params = try dispositionParameters(value)
                guard params.type == "form-data", let n = params.values["name"] else {
                    throw Failure("上传表单的一个部分没有字段名（Content-Disposition: form-data; name=…）。")
                }
                name = n
                filename = params.values["filename"]
            case "content-type": contentType = value.trimmingSpaces
            default: continue
            }
        }
        guard let name else { throw Failure("上传表单的一个部分没有 Content-Disposition 头。") }
        return Part(name: name, filename: filename, contentType: contentType, body: [])
    }

    /// `form-data; name="file"; filename="台账.csv"`: the type and each parameter, quoted strings unescaped.
    static func dispositionParameters(_ value: String) throws -> (type: String, values: [String: String]) {
        let bad = Failure("上传表单的 Content-Disposition 头不合规范，请用页面上的表单上传。")
        let s = Array(value.unicodeScalars)
        var i = 0
        func skipSpaces() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }
        func token() -> String {
            var t = String.UnicodeScalarView()
            while i < s.count, s[i] != ";", s[i] != "=", s[i] != " ", s[i] != "\t", s[i] != "\"" { t.append(s[i]); i += 1 }
            return String(t)
        }
        skipSpaces()
        let type = token().lowercased()
        var values: [String: String] = [:]
        while true {
            skipSpaces()
            if i == s.count { break }
            guard s[i] == ";" else { throw bad }
            i += 1
            skipSpaces()
            if i == s.count { break }
            let key = token().lowercased()
            skipSpaces()
            guard !key.isEmpty, i < s.count, s[i] == "=" else { throw bad }
            i += 1
            skipSpaces()
            var v = String.UnicodeScalarView()
            if i < s.count, s[i] == "\"" {
                // Browsers send a name's `"` as %22 and never escape with a backslash, so none is read here.
                i += 1
                var closed = false
                while i < s.count {
                    if s[i] == "\"" { closed = true; i += 1; break }
                    v.append(s[i])
                    i += 1
                }
                guard closed else { throw bad }
            } else {
                v = token().unicodeScalars
            }
            guard values[key] == nil else { throw bad }
            values[key] = String(v)
        }
        return (type, values)
    }

    /// True when `needle` is at `at` in `hay`.
    static func has(_ needle: [UInt8], in hay: [UInt8], at: Int) -> Bool {
        at >= 0 && at + needle.count <= hay.count && hay[at..<(at + needle.count)].elementsEqual(needle)
    }

    /// The first index at or after `from` where `needle` starts and ends before `limit` (default the end), or nil.
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, limit: Int? = nil) -> Int? {
        let end = min(limit ?? hay.count, hay.count)
        guard let first = needle.first, from >= 0, end - needle.count >= from else { return nil }
        var i = from
        while i <= end - needle.count {
            if hay[i] == first, has(needle, in: hay, at: i) { return i }
            i += 1
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (header values).
    fileprivate var trimmingSpaces: String {
        var t = Substring(self)
        while let f = t.first, f == " " || f == "\t" { t = t.dropFirst() }
        while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
        return String(t)
    }
}
