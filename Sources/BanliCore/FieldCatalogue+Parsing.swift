extension FieldCatalogue {
    /// Text a clerk typed (a command's argument, a form's field) parsed for `field` of `kind` by its catalogue type.
    public static func value(_ kind: EntityKind, _ field: String, _ text: String) throws -> JSONValue {
        try require(kind, field).type.parse(text, field: field)
    }

    /// An enumerated value read as the catalogue reads it (the stored value or its Chinese label), typed.
    public static func choice<E: CatalogueEnum>(_ kind: EntityKind, _ field: String, _ text: String) throws -> E {
        let value = try value(kind, field, text)
        guard let choice = value.stringValue.flatMap(E.init(rawValue:)) else {
            throw BanliError(.invalidValue, "Field '\(field)' takes one of \(E.choices(separator: ", ")), not '\(text.prefix(80))'.")
        }
        return choice
    }
}
