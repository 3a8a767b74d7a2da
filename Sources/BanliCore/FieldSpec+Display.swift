extension FieldSpec {
    /// A value as a clerk reads it: enumerations with their Chinese label (`lead 主办`), booleans as 是/否, the
    /// publication choice with its reason. The one rendering the CLI and the web pages share.
    public static func display(_ v: JSONValue, spec: FieldSpec?) -> String {
        if case .enumeration(let cases)? = spec?.type, let s = v.stringValue, let c = cases.first(where: { $0.value == s }) {
            return "\(c.value) \(c.label)"
        }
        if case .bool(let b) = v { return b ? "是" : "否" }
        if case .object(let o) = v, let p = o["public"]?.boolValue {
            return (p ? "是" : "否") + (o["reason"]?.stringValue.map { "（\($0)）" } ?? "")
        }
        return v.displayText
    }

    /// The label alone for an enumerated value (`主办`), else `display`.
    public static func label(_ v: JSONValue, spec: FieldSpec?) -> String {
        if case .enumeration(let cases)? = spec?.type, let s = v.stringValue, let c = cases.first(where: { $0.value == s }) { return c.label }
        return display(v, spec: spec)
    }
}
