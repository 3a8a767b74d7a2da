/// The compact binary form a store keeps of a field state, beside the visible value's JSON.
///
/// Most fields hold one value written by the site whose counter is also the whole context, so the
/// common state is the context plus one flag byte and one index: about 17 bytes of metadata. Values
/// are never stored twice: the visible sibling points at the row's value column.
///
///     u8 version (1)
///     varint n, then n × (varint length, site UTF-8, varint counter)   the context, sites sorted
///     varint m, then m × sibling:
///         u8 flags: 1 value is the visible value (else varint length + canonical JSON)
///                   2 site is a context entry (varint index; else varint length + UTF-8)
///                   4 counter is that site's context counter (else varint counter)
///                   8 a hub tag follows (varint length + UTF-8)
///
/// Stores keep the checked form (version 2, schema v4 on): the same layout with version byte 2, then
/// 4 bytes (little-endian) of CRC-32 over the row's value JSON and every byte before them. SQLite checks
/// its pages, not what is in them: a flipped bit inside a value would otherwise go unnoticed.
extension FieldState {
    static let storedFormVersion: UInt8 = 1
    static let checkedFormVersion: UInt8 = 2

    /// The error for stored bytes that do not decode.
    public static let damagedStoredForm = BanliError(.io, "A stored field state is damaged; restore the store from a backup.")
    /// The error for a checked form whose checksum does not match its bytes and value.
    public static let checksumMismatch = BanliError(.io, "A stored field state fails its checksum; restore the store from a backup.")

    /// The checked form stores keep: `storedForm(visibleIndex:)` sealed with the checksum of it and `valueJSON`,
    /// the text kept in the row's value column.
    public func checkedStoredForm(visibleIndex: Int?, valueJSON: String) -> [UInt8] {
        Self.checked(storedForm(visibleIndex: visibleIndex), valueJSON: valueJSON)
    }

    /// Seals version 1 bytes (as written before schema v4) into the checked form; other bytes stay as they
    /// are, so a state already damaged is still reported as damaged.
    public static func checked(_ unchecked: [UInt8], valueJSON: String) -> [UInt8] {
        guard unchecked.first == storedFormVersion else { return unchecked }
        var out = unchecked
        out[0] = checkedFormVersion
        let crc = CRC32.checksum(valueJSON, out[...])
        out.append(contentsOf: [UInt8(truncatingIfNeeded: crc), UInt8(truncatingIfNeeded: crc >> 8),
                                UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 24)])
        return out
    }

    /// The bytes of a stored form to decode, after the version byte: all of a version 1 form; a checked
    /// form's bytes before its checksum, once the checksum matches `valueJSON`.
    static func body(_ bytes: UnsafeRawBufferPointer, valueJSON: String?) throws -> UnsafeRawBufferPointer {
        guard let version = bytes.first else { throw damagedStoredForm }
        switch version {
        case storedFormVersion:
            return bytes
        case checkedFormVersion:
            guard let valueJSON, bytes.count >= 5 else { throw damagedStoredForm }
            let n = bytes.count - 4
            let stored = UInt32(bytes[n]) | UInt32(bytes[n + 1]) << 8 | UInt32(bytes[n + 2]) << 16 | UInt32(bytes[n + 3]) << 24
            let body = UnsafeRawBufferPointer(rebasing: bytes[..<n])
            guard CRC32.checksum(valueJSON, body) == stored else { throw checksumMismatch }
            return body
        default:
            throw damagedStoredForm
        }
    }

    /// Encodes the state; `visibleIndex` is the sibling whose value the store keeps in its value column.
    public func storedForm(visibleIndex: Int?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        out.append(Self.storedFormVersion)
        let sites = context.entries.keys.sorted()
        StoredBytes.writeVarint(UInt64(sites.count), to: &out)
        for site in sites {
            StoredBytes.writeText(site, to: &out)
            StoredBytes.writeVarint(context[site], to: &out)
        }
        StoredBytes.writeVarint(UInt64(siblings.count), to: &out)
        for (i, s) in siblings.enumerated() {
            let siteIndex = sites.firstIndex(of: s.site)
            var flags: UInt8 = 0
            if i == visibleIndex { flags |= 1 }
            if siteIndex != nil { flags |= 2 }
            if siteIndex != nil && context[s.site] == s.counter { flags |= 4 }
            if s.sig != nil { flags |= 8 }
            out.append(flags)
            if flags & 1 == 0 { StoredBytes.writeText(s.value.canonicalJSON, to: &out) }
            if let siteIndex { StoredBytes.writeVarint(UInt64(siteIndex), to: &out) } else { StoredBytes.writeText(s.site, to: &out) }
            if flags & 4 == 0 { StoredBytes.writeVarint(s.counter, to: &out) }
            if let sig = s.sig { StoredBytes.writeText(sig, to: &out) }
        }
        return out
    }

    /// Decodes a stored state; `visibleValue` is called (once, at most) for the sibling stored as the row's value.
    /// A checked form needs `valueJSON`, the row's value text, and is refused when its checksum does not match.
    public init(storedForm bytes: UnsafeRawBufferPointer, valueJSON: String? = nil, visibleValue: () throws -> JSONValue) throws {
        var entries: [String: UInt64] = [:]
        var siblings: [Sibling] = []
        var visible: JSONValue?
        try StoredBytes.read(bytes, valueJSON: valueJSON) { sites, counters in
            entries.reserveCapacity(sites.count)
            for (site, counter) in zip(sites, counters) { entries[site] = counter }
        } siblingCount: {
            siblings.reserveCapacity($0)
        } sibling: { text, site, counter, sig in
            let value: JSONValue
            if let text {
                value = try JSONValue.parse(text)
            } else {
                if visible == nil { visible = try visibleValue() }
                value = visible!
            }
            siblings.append(Sibling(value: value, site: site, counter: counter, sig: sig))
        }
        self.init(siblings: siblings, context: VersionVector(entries))
    }
}

/// Varints and length-prefixed text over raw bytes, bounds-checked.
struct StoredBytes {
    static let damaged = FieldState.damagedStoredForm

    let bytes: UnsafeRawBufferPointer
    var i = 0

    var atEnd: Bool { i == bytes.count }

    mutating func byte() throws -> UInt8 {
        guard i < bytes.count else { throw Self.damaged }
        defer { i += 1 }
        return bytes[i]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw Self.damaged }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A length or index: a varint no larger than the bytes left could describe.
    mutating func count() throws -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count) else { throw Self.damaged }
        return Int(n)
    }

    mutating func text() throws -> String {
        let n = try count()
        guard n <= bytes.count - i else { throw Self.damaged }
        defer { i += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), as: UTF8.self)
    }

    /// Reads a stored form (the one reader of its layout): the context once, in stored (sorted) order, then each
    /// sibling with its value's JSON text, nil for the sibling whose value is the row's value column.
    static func read(
        _ bytes: UnsafeRawBufferPointer, valueJSON: String?,
        context: (_ sites: [String], _ counters: [UInt64]) -> Void,
        siblingCount: (Int) -> Void,
        sibling: (_ valueText: String?, _ site: String, _ counter: UInt64, _ sig: String?) throws -> Void
    ) throws {
        var r = StoredBytes(bytes: try FieldState.body(bytes, valueJSON: valueJSON))
        _ = try r.byte()
        let n = try r.count()
        var sites: [String] = [], counters: [UInt64] = []
        sites.reserveCapacity(n)
        counters.reserveCapacity(n)
        for _ in 0..<n {
            sites.append(try r.text())
            counters.append(try r.varint())
        }
        context(sites, counters)
        let m = try r.count()
        siblingCount(m)
        for _ in 0..<m {
            let flags = try r.byte()
            let text = flags & 1 != 0 ? nil : try r.text()
            let site: String
            var index: Int?
            if flags & 2 != 0 {
                let i = try r.count()
                guard i < sites.count else { throw damaged }
                site = sites[i]
                index = i
            } else {
                site = try r.text()
            }
            let counter: UInt64
            if flags & 4 != 0 {
                counter = index.map { counters[$0] } ?? sites.firstIndex(of: site).map { counters[$0] } ?? 0
            } else {
                counter = try r.varint()
            }
            let sig = flags & 8 != 0 ? try r.text() : nil
            try sibling(text, site, counter, sig)
        }
        guard r.atEnd else { throw damaged }
    }

    static func writeVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func writeText(_ s: String, to out: inout [UInt8]) {
        writeVarint(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }
}

/// A stored form read without decoding its values: the context and the siblings, each value as the
/// canonical JSON text the store keeps. What the wire encoder walks to write a stored row's line.
public struct StoredFormEntries: Sendable, Hashable {
    /// One context entry, sites in the stored (sorted) order.
    public struct ContextEntry: Sendable, Hashable {
        public var site: String
        public var counter: UInt64
    }

    /// One sibling; `valueJSON` is nil for the sibling whose value is the row's value column.
    public struct Sibling: Sendable, Hashable {
        public var valueJSON: String?
        public var site: String
        public var counter: UInt64
        public var sig: String?
    }

    public var context: [ContextEntry]
    public var siblings: [Sibling]

    /// Reads a stored form; `valueJSON` is the row's value text. A checked form is refused when its checksum
    /// does not match, any form when its bytes do not decode.
    public init(storedForm bytes: UnsafeRawBufferPointer, valueJSON: String) throws {
        var context: [ContextEntry] = []
        var siblings: [Sibling] = []
        try StoredBytes.read(bytes, valueJSON: valueJSON) { sites, counters in
            context = zip(sites, counters).map { ContextEntry(site: $0, counter: $1) }
        } siblingCount: {
            siblings.reserveCapacity($0)
        } sibling: { text, site, counter, sig in
            siblings.append(Sibling(valueJSON: text, site: site, counter: counter, sig: sig))
        }
        self.context = context
        self.siblings = siblings
    }

    /// The entries of a decoded state, each value written as canonical JSON, the context sorted as stores keep it.
    public init(_ state: FieldState) {
        context = state.context.entries.keys.sorted().map { ContextEntry(site: $0, counter: state.context[$0]) }
        siblings = state.siblings.map { Sibling(valueJSON: $0.value.canonicalJSON, site: $0.site, counter: $0.counter, sig: $0.sig) }
    }
}

/// CRC-32 (IEEE 802.3, as zlib computes it): catches every single-bit and every burst error up to 32 bits.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// The CRC-32 of `text`'s UTF-8 followed by `bytes`.
    static func checksum<Bytes: Collection<UInt8>>(_ text: String, _ bytes: Bytes) -> UInt32 {
        ~update(update(0xFFFF_FFFF, text.utf8), bytes)
    }

    static func update<Bytes: Sequence<UInt8>>(_ crc: UInt32, _ bytes: Bytes) -> UInt32 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c
    }
}
