import BanliCore

/// One field row as a store keeps it: the entity's text, the field, the visible value's canonical JSON
/// and the stored form read into entries (checksum verified). Rows travel from the store to the wire
/// without their values being decoded.
public struct StoredFieldRow: Sendable, Hashable {
    public var entity: String
    public var field: String
    /// The visible value's canonical JSON (`null` when nothing is written).
    public var valueJSON: String
    public var state: StoredFormEntries

    public init(entity: String, field: String, valueJSON: String, state: StoredFormEntries) {
        self.entity = entity
        self.field = field
        self.valueJSON = valueJSON
        self.state = state
    }

    /// A decoded field in row form: what a store would hold for it.
    public init(_ f: ReplicatedField, hubSite: String) {
        self.init(entity: f.entity.description, field: f.field, valueJSON: f.visibleValue(hubSite: hubSite).canonicalJSON,
                  state: StoredFormEntries(f.state))
    }

    /// The field's key.
    public var key: FieldKey { FieldKey(entity: entity, field: field) }

    /// True when one of the siblings was written by `site`.
    public func holdsValue(of site: String) -> Bool {
        state.siblings.contains { $0.site == site }
    }
}

/// The one encoder of the pinned FieldState line (DESIGN §4):
/// `{"entity","field","value","siblings":[{"value","site","counter"[,"sig"]}],"context":{site: counter}}`.
public enum FieldLine {
    /// Appends a stored row's line: its values are canonical JSON already, so nothing is decoded or re-encoded.
    public static func write(_ row: StoredFieldRow, to out: inout String) {
        out += "{\"entity\":"
        JSONValue.writeString(row.entity, to: &out)
        out += ",\"field\":"
        JSONValue.writeString(row.field, to: &out)
        out += ",\"value\":"
        out += row.valueJSON
        out += ",\"siblings\":["
        for (i, s) in row.state.siblings.enumerated() {
            if i > 0 { out += "," }
            out += "{\"value\":"
            out += s.valueJSON ?? row.valueJSON
            out += ",\"site\":"
            JSONValue.writeString(s.site, to: &out)
            out += ",\"counter\":" + String(s.counter)
            if let sig = s.sig {
                out += ",\"sig\":"
                JSONValue.writeString(sig, to: &out)
            }
            out += "}"
        }
        out += "],\"context\":{"
        for (i, e) in row.state.context.enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(e.site, to: &out)
            out += ":" + String(e.counter)
        }
        out += "}}"
    }

    /// Appends a decoded field's line, through its row form.
    public static func write(_ f: ReplicatedField, hubSite: String, to out: inout String) {
        write(StoredFieldRow(f, hubSite: hubSite), to: &out)
    }

    /// Appends rows' lines separated by commas (the inside of a `changes` array).
    public static func writeList(_ rows: [StoredFieldRow], to out: inout String) {
        for (i, row) in rows.enumerated() {
            if i > 0 { out += "," }
            write(row, to: &out)
        }
    }
}
