/// Who may write what (DESIGN §2): the hub writes every field as the office's proxy; a bureau writes
/// only the unit-authored fields of its own assignment and contact rows.
public enum Permissions {
    /// Nil when `site` may write `field` of `entity`; otherwise the reason it may not.
    public static func denial(site: String, hubSite: String, entity: EntityKey, field: FieldSpec) -> String? {
        if site == hubSite { return nil }
        guard field.author == .unit else {
            return "'\(field.name)' (\(field.label)) of \(entity) is written by the office (hub), not by unit '\(site)'"
        }
        guard entity.site == site else {
            return "\(entity) belongs to unit '\(entity.site ?? "?")'; unit '\(site)' may write only its own rows"
        }
        return nil
    }

    /// Throws a permission error when `site` may not write `field` of `entity`.
    public static func check(site: String, hubSite: String, entity: EntityKey, field: FieldSpec) throws {
        if let reason = denial(site: site, hubSite: hubSite, entity: entity, field: field) {
            throw BanliError(.permissionDenied, "Refused: \(reason).")
        }
    }
}
