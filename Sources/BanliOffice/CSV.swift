import BanliCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 4180 CSV, the way office spreadsheets exchange 台账: quoted fields, doubled quotes,
/// CRLF or LF line ends, newlines inside quoted fields.
///
/// Every cell written is neutralised against formula injection (`neutralised`) and every cell read is
/// restored (`restored`), so `parse(write(rows)) == rows` for any text.
public enum CSV {
    /// One record of a CSV text and the physical line it starts on (1-based), for error messages.
    public struct Record: Sendable, Hashable {
        /// The physical line the record starts on; differs from the record index once a quoted field spans lines.
        public var line: Int
        /// The fields, unquoted.
        public var fields: [String]

        /// Creates a record.
        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }
    }

    /// Parses CSV text into rows of fields; a leading UTF-8 BOM is dropped.
    public static func parse(_ text: String) throws -> [[String]] {
        try records(text).map(\.fields)
    }

    /// A CSV text that does not parse: the physical line where it goes wrong, and what is wrong there.
    public struct SyntaxError: Error, Sendable, Hashable {
        public var line: Int
        /// What is wrong and how to fix it, without the line.
        public var message: String
        /// `line 3: …`, as every command reports it.
        public var error: BanliError { BanliError(.corruptInput, "line \(line): \(message)") }
    }

    /// Parses CSV text into records that remember their physical line.
    ///
    /// Lenient only where spreadsheets are sloppy (spaces around a quoted field, a lone CR as line end);
    /// a stray quote is an error, because guessing would silently shift columns.
    public static func records(_ text: String) throws -> [Record] {
        do {
            return try readRecords(text)
        } catch let syntax as SyntaxError {
            throw syntax.error
        }
    }

    /// Like `records`, refusing with a `SyntaxError` that holds the line as a number, so a page can mark it.
    public static func readRecords(_ text: String) throws -> [Record] {
        var s = Array(text.unicodeScalars)
        if s.first == "\u{FEFF}" { s.removeFirst() }
        var out: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var line = 1, recordLine = 1, quoteLine = 1
        var inQuotes = false
        var closed = false      // the current field was quoted and its closing quote has been read
        var started = false     // the current record has any content (so a final newline adds no empty record)
        var i = 0
        let n = s.count

        func endField() {
            fields.append(restored(String(field)))
            field = String.UnicodeScalarView()
            closed = false
        }
        func fail(_ what: String) -> SyntaxError {
            SyntaxError(line: line, message: what)
        }

        while i < n {
            let c = s[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < n, s[i + 1] == "\"" {
                        field.append("\"")
                        i += 2
                    } else {
                        inQuotes = false
                        closed = true
                        i += 1
                    }
                    continue
                }
                // Count physical lines inside quotes too, so later errors name the right line.
                if c == "\n" || (c == "\r" && !(i + 1 < n && s[i + 1] == "\n")) { line += 1 }
                field.append(c)
                i += 1
                continue
            }
            switch c {
            case ",":
                endField()
                started = true
                i += 1
            case "\r", "\n":
                endField()
                out.append(Record(line: recordLine, fields: fields))
                fields = []
                started = false
                i += (c == "\r" && i + 1 < n && s[i + 1] == "\n") ? 2 : 1
                line += 1
                recordLine = line
            case "\"":
                // A quote opens a field only at its start (spaces before it are dropped, as spreadsheets do).
                guard !closed, field.allSatisfy({ $0 == " " || $0 == "\t" }) else {
                    throw fail("a quote (\") inside a field that does not start with a quote; "
                        + "put the whole field in quotes and double every quote inside it (\"\").")
                }
                field = String.UnicodeScalarView()
                inQuotes = true
                quoteLine = line
                started = true
                i += 1
            default:
                if closed {
                    guard c == " " || c == "\t" else {
                        throw fail("text after the closing quote of a field; double every quote inside a quoted field (\"\").")
                    }
                } else {
                    field.append(c)
                }
                started = true
                i += 1
            }
        }
        if inQuotes {
            throw SyntaxError(line: quoteLine, message: "a quoted field is never closed; a closing quote (\") is missing.")
        }
        if started || !fields.isEmpty {
            endField()
            out.append(Record(line: recordLine, fields: fields))
        }
        return out
    }

    /// Writes rows as CSV: fields quoted only when needed, CRLF line ends, and by default a UTF-8 BOM
    /// first, because Excel reads a BOM-less file in the system code page and garbles Chinese.
    public static func write(_ rows: [[String]], bom: Bool = true) -> String {
        var out = bom ? "\u{FEFF}" : ""
        for row in rows {
            for (i, f) in row.enumerated() {
                if i > 0 { out += "," }
                out += quoted(neutralised(f))
            }
            out += "\r\n"
        }
        return out
    }

    /// `f` as one CSV field: quoted when it holds a separator, quote or line break, or has edge spaces
    /// (which some readers trim).
    public static func quoted(_ f: String) -> String {
        let needs = f.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
            || f.unicodeScalars.first.map(isEdgeSpace) == true || f.unicodeScalars.last.map(isEdgeSpace) == true
        guard needs else { return f }
        var out = "\""
        for u in f.unicodeScalars {
            if u == "\"" { out += "\"\"" } else { out.unicodeScalars.append(u) }
        }
        return out + "\""
    }

    /// `f` safe for a spreadsheet: a cell that Excel or LibreOffice would run as a formula (it starts with
    /// `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`, as OWASP recommends against CSV injection.
    /// A value that already starts with quotes before such a character gets one more, so `restored` is exact.
    public static func neutralised(_ f: String) -> String {
        isFormulaLike(f) ? "'" + f : f
    }

    /// The value `neutralised` was given: one leading `'` dropped where `neutralised` added it.
    public static func restored(_ f: String) -> String {
        f.unicodeScalars.first == "'" && isFormulaLike(f) ? String(f.unicodeScalars.dropFirst()) : f
    }

    /// True when `f`, after any leading `'`, starts with a character that makes a spreadsheet cell a formula.
    static func isFormulaLike(_ f: String) -> Bool {
        guard let first = f.unicodeScalars.first(where: { $0 != "'" }) else { return false }
        return "=+-@\t\r".unicodeScalars.contains(first)
    }

    private static func isEdgeSpace(_ u: Unicode.Scalar) -> Bool {
        u == " " || u == "\t" || u == "\u{3000}"
    }
}

/// The text encodings a 台账 file may come in: UTF-8, or GB18030 (a superset of GBK and GB2312,
/// which Chinese Excel writes by default).
public enum TextEncoding: String, Sendable, CaseIterable {
    /// UTF-8, with or without a BOM.
    case utf8
    /// GB18030, which also reads GBK and GB2312 files.
    case gb18030

    /// Reads an encoding name as users type it (`utf-8`, `UTF8`, `gbk`, `gb2312`, `cp936`, …); nil if unknown.
    public init?(name: String) {
        let key = name.trimmedWhitespace.lowercased().filter { $0 != "-" && $0 != "_" }
        switch key {
        case "utf8": self = .utf8
        // GBK and GB2312 files decode correctly as GB18030, their superset.
        case "gb18030", "gbk", "gb2312", "cp936", "936": self = .gb18030
        default: return nil
        }
    }

    /// Decodes bytes strictly; invalid bytes are an error naming their offset, never replaced silently.
    /// A leading UTF-8 BOM is dropped, and such bytes are read as UTF-8 whatever was asked: the BOM settles it, and
    /// reading them as GB18030 would give mojibake without any error.
    public static func decode(_ bytes: [UInt8], as encoding: TextEncoding) throws -> String {
        let hasBOM = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        switch hasBOM ? .utf8 : encoding {
        case .utf8:
            // The BOM marks the encoding; it is not text.
            if let s = String(validating: hasBOM ? bytes.dropFirst(3) : bytes[...], as: UTF8.self) { return s }
            throw BanliError(.corruptInput, "The text is not valid UTF-8 at byte offset \(utf8ErrorOffset(bytes)); "
                + "save the file as UTF-8 or pass --encoding gb18030.")
        case .gb18030:
            let out = try iconvConvert(bytes, from: "GB18030", to: "UTF-8") { offset in
                BanliError(.corruptInput, "The text is not valid GB18030 at byte offset \(offset); "
                    + "save the file as UTF-8 or pass --encoding gb18030 only for files saved in GBK/GB18030.")
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Encodes text; GB18030 covers all of Unicode, so this fails only when the system lacks the converter.
    public static func encode(_ s: String, as encoding: TextEncoding) throws -> [UInt8] {
        switch encoding {
        case .utf8:
            return Array(s.utf8)
        case .gb18030:
            return try iconvConvert(Array(s.utf8), from: "UTF-8", to: "GB18030") { offset in
                BanliError(.invalidValue, "The text cannot be written as GB18030 (byte offset \(offset) of its UTF-8 form); export as UTF-8 instead.")
            }
        }
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence.
    private static func utf8ErrorOffset(_ bytes: [UInt8]) -> Int {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let u): offset += UTF8.width(u)
            case .emptyInput, .error: return offset
            }
        }
    }

    /// Converts with glibc iconv; `bad` builds the error for an invalid or truncated sequence at an input offset.
    private static func iconvConvert(_ input: [UInt8], from: String, to: String, bad: (Int) -> BanliError) throws -> [UInt8] {
        if input.isEmpty { return [] }
        guard let cd = iconv_open(to, from), cd != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw BanliError(.io, "This system cannot convert \(from) to \(to) (iconv_open failed); install the glibc character set modules (gconv).")
        }
        defer { iconv_close(cd) }
        var source = input
        var out = [UInt8](repeating: 0, count: input.count * 2 + 16)
        var produced = 0
        var failedAt: Int?
        source.withUnsafeMutableBufferPointer { src in
            var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(src.baseAddress!).assumingMemoryBound(to: CChar.self)
            var inLeft = src.count
            while true {
                let (rc, err, wrote) = out.withUnsafeMutableBufferPointer { dst -> (Int, Int32, Int) in
                    var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(dst.baseAddress! + produced).assumingMemoryBound(to: CChar.self)
                    let room = dst.count - produced
                    var outLeft = room
                    // inLeft == 0 means everything is read: a flush call (null input) ends any shift state.
                    let rc = inLeft == 0 ? iconv(cd, nil, nil, &outPtr, &outLeft) : iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                    return (rc, errno, room - outLeft)
                }
                produced += wrote
                if rc != -1 {
                    if inLeft == 0 { return }
                    continue
                }
                if err == E2BIG {
                    out.append(contentsOf: repeatElement(0, count: out.count))
                    continue
                }
                // EILSEQ (invalid) or EINVAL (cut off at the end): report where the bad sequence starts.
                failedAt = src.count - inLeft
                return
            }
        }
        if let failedAt { throw bad(failedAt) }
        return Array(out[0..<produced])
    }
}
