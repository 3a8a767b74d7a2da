extension JSONValue {
    /// The deepest nesting accepted.
    public static let maxDepth = 64

    /// Parses JSON text strictly: valid UTF-8, no duplicate keys, nesting at most `maxDepth`,
    /// integers kept exact (a number with no fraction that fits `Int64` becomes `.int`).
    public static func parse(_ text: String) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse(bytes: $0) }
    }

    /// Parses UTF-8 JSON bytes strictly; see `parse(_:)`.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        try JSONReader.whole(bytes) { try $0.readValue() }
    }

    /// Parses UTF-8 JSON bytes strictly; see `parse(_:)`.
    public static func parse<C: Collection>(utf8 bytes: C) throws -> JSONValue where C.Element == UInt8 {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { try parse(bytes: $0) }
    }
}

/// A strict recursive-descent JSON reader over UTF-8 bytes, with the same rules as `JSONValue.parse`.
/// Besides whole values it reads objects and arrays member by member, so a decoder can build its own
/// types straight from the bytes (the sync answers) instead of going through `JSONValue` dictionaries.
public struct JSONReader {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    /// Nesting of the containers being read.
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        b = bytes
    }

    /// Reads one JSON text from `bytes` with `body`, which must consume exactly one value;
    /// anything but white space after it is an error.
    public static func whole<T>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (inout JSONReader) throws -> T) throws -> T {
        var r = JSONReader(bytes: bytes)
        r.skipSpace()
        let v = try body(&r)
        r.skipSpace()
        guard r.i == bytes.count else { throw r.error("unexpected text after the JSON value") }
        return v
    }

    /// Reads one JSON text from `bytes`; see `whole(_:_:)`.
    public static func whole<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { try whole($0, body) }
    }

    /// Reads one JSON text from a string; see `whole(_:_:)`.
    public static func whole<T>(_ text: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        var copy = text
        return try copy.withUTF8 { try whole($0, body) }
    }

    /// Checks the next value as `readValue` would, without building it.
    public mutating func skipValue() throws {
        guard i < b.count else { throw error("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"): try readObject { r, _ in try r.skipValue() }
        case UInt8(ascii: "["): try readArray { r in try r.skipValue() }
        case UInt8(ascii: "\""):
            // Without escapes, the bytes need only be valid UTF-8; with them, decode as usual.
            var j = i + 1
            while j < b.count, b[j] != UInt8(ascii: "\""), b[j] != UInt8(ascii: "\\"), b[j] >= 0x20 { j += 1 }
            if j < b.count, b[j] == UInt8(ascii: "\""), Self.isValidUTF8(UnsafeBufferPointer(rebasing: b[(i + 1)..<j])) {
                i = j + 1
            } else {
                _ = try string()
            }
        default: _ = try readValue()  // numbers and literals build nothing
        }
    }

    /// True when the next value is `null`, which is consumed.
    public mutating func readNull() throws -> Bool {
        guard i < b.count, b[i] == UInt8(ascii: "n") else { return false }
        _ = try literal("null", .null)
        return true
    }

    /// True when the next value is an object (not consumed).
    public var atObject: Bool { i < b.count && b[i] == UInt8(ascii: "{") }
    /// True when the next value is an array (not consumed).
    public var atArray: Bool { i < b.count && b[i] == UInt8(ascii: "[") }

    /// Reads an object member by member: `member` gets each key and must read (or skip) its value.
    /// Duplicate keys are refused, as in `JSONValue.parse`.
    public mutating func readObject(_ member: (inout JSONReader, String) throws -> Void) throws {
        guard depth <= JSONValue.maxDepth else { throw error("nested deeper than \(JSONValue.maxDepth) levels") }
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw error("expected an object") }
        i += 1
        depth += 1
        defer { depth -= 1 }
        var keys: [String] = []
        var manyKeys: Set<String> = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let k = try string()
            // Objects here are small; a linear check costs less than hashing until they are not.
            if keys.count < 16 {
                guard !keys.contains(k) else { throw error("duplicate key '\(k.prefix(40))'") }
                keys.append(k)
            } else {
                if manyKeys.isEmpty { manyKeys = Set(keys) }
                guard manyKeys.insert(k).inserted else { throw error("duplicate key '\(k.prefix(40))'") }
            }
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
            i += 1
            skipSpace()
            try member(&self, k)
            skipSpace()
            guard i < b.count else { throw error("unexpected end") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return }
            throw error("expected ',' or '}'")
        }
    }

    /// Reads an array element by element: `element` must read (or skip) each one.
    public mutating func readArray(_ element: (inout JSONReader) throws -> Void) throws {
        guard depth <= JSONValue.maxDepth else { throw error("nested deeper than \(JSONValue.maxDepth) levels") }
        guard i < b.count, b[i] == UInt8(ascii: "[") else { throw error("expected an array") }
        i += 1
        depth += 1
        defer { depth -= 1 }
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return }
        while true {
            skipSpace()
            try element(&self)
            skipSpace()
            guard i < b.count else { throw error("unexpected end") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return }
            throw error("expected ',' or ']'")
        }
    }

    /// A syntax error at the current byte.
    public func error(_ what: String) -> BanliError {
        BanliError(.corruptInput, "Malformed JSON at byte \(i): \(what).")
    }

    mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func literal(_ word: String, _ v: JSONValue) throws -> JSONValue {
        let w = Array(word.utf8), n = w.count
        guard i + n <= b.count else { throw error("unexpected end") }
        for k in 0..<n where b[i + k] != w[k] { throw error("unknown literal") }
        i += n
        return v
    }

    /// The next value, whole; containers are read by `readObject` and `readArray`, so there is one
    /// set of rules (nesting, duplicate keys, separators) for both ways of reading.
    public mutating func readValue() throws -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw error("nested deeper than \(JSONValue.maxDepth) levels") }
        guard i < b.count else { throw error("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"):
            var o: [String: JSONValue] = [:]
            try readObject { r, k in o[k] = try r.readValue() }
            return .object(o)
        case UInt8(ascii: "["):
            var a: [JSONValue] = []
            try readArray { r in a.append(try r.readValue()) }
            return .array(a)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        default:
            throw error("unexpected character")
        }
    }

    mutating func number() throws -> JSONValue {
        let start = i
        if b[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let s = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            return i - s
        }
        let intStart = i
        let nInt = digits()
        guard nInt > 0 else { throw error("expected digits") }
        guard !(nInt > 1 && b[intStart] == UInt8(ascii: "0")) else { throw error("leading zero in a number") }
        var isInteger = true
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            isInteger = false
            guard digits() > 0 else { throw error("expected digits after '.'") }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            isInteger = false
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("expected exponent digits") }
        }
        // Counters and most numbers: up to 18 digits always fit Int64, no text needed.
        if isInteger, nInt <= 18 {
            var v: Int64 = 0
            for k in intStart..<i { v = v * 10 + Int64(b[k] - 0x30) }
            return .int(b[start] == UInt8(ascii: "-") ? -v : v)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text), d.isFinite else { throw error("number out of range") }
        return .double(d)
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("bad \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    mutating func string() throws -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes.
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: "\"") {
            let s = try utf8(start..<i)
            i += 1
            return s
        }
        var out = try utf8(start..<i)
        while true {
            guard i < b.count else { throw error("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return out }
            if c < 0x20 { throw error("control character in a string") }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < b.count else { throw error("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out += "\""
                case UInt8(ascii: "\\"): out += "\\"
                case UInt8(ascii: "/"): out += "/"
                case UInt8(ascii: "b"): out += "\u{08}"
                case UInt8(ascii: "f"): out += "\u{0C}"
                case UInt8(ascii: "n"): out += "\n"
                case UInt8(ascii: "r"): out += "\r"
                case UInt8(ascii: "t"): out += "\t"
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else { throw error("lone surrogate") }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw error("lone surrogate")
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("bad \\u escape") }
                    out.unicodeScalars.append(scalar)
                default:
                    throw error("unknown escape")
                }
            } else {
                let s = i
                while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
                out += try utf8(s..<i)
            }
        }
    }

    func utf8(_ r: Range<Int>) throws -> String {
        let bytes = UnsafeBufferPointer(rebasing: b[r])
        // Validated here, then decoded without a second check: String(validating:) is generic over the
        // encoding and looks up its metadata on every call.
        guard Self.isValidUTF8(bytes) else {
            throw BanliError(.corruptInput, "Malformed JSON at byte \(r.lowerBound): invalid UTF-8 in a string.")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
    static func isValidUTF8(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = u.count
        while i < n {
            let c = u[i]
            if c < 0x80 { i += 1; continue }
            func cont(_ k: Int) -> Bool { i + k < n && u[i + k] & 0xC0 == 0x80 }
            switch c {
            case 0xC2...0xDF:
                guard cont(1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard cont(1), cont(2) else { return false }
                let c1 = u[i + 1]
                if c == 0xE0 && c1 < 0xA0 { return false }  // overlong
                if c == 0xED && c1 > 0x9F { return false }  // surrogate
                i += 3
            case 0xF0...0xF4:
                guard cont(1), cont(2), cont(3) else { return false }
                let c1 = u[i + 1]
                if c == 0xF0 && c1 < 0x90 { return false }  // overlong
                if c == 0xF4 && c1 > 0x8F { return false }  // above U+10FFFF
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
