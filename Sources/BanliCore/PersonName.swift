/// The person a web write is made by, as the store's history records it: a display name from the web's accounts.
///
/// It is hostile text (whoever can name an account chooses it), stored as given and escaped wherever it is shown.
/// Checked before a write: no character a terminal or a bidi renderer acts on, and a bounded length.
public enum PersonName {
    /// The longest name recorded, in Unicode scalars (a combining-mark pile-up counts every mark).
    public static let maxLength = 64

    /// Returns `name` when a history row may record it, else throws one sentence saying what is wrong.
    @discardableResult
    public static func validated(_ name: String) throws -> String {
        guard !name.isEmpty else {
            throw BanliError(.invalidValue, "The person's name is empty; give the account a display name, or write without a person.")
        }
        let scalars = name.unicodeScalars
        if let (i, u) = scalars.enumerated().first(where: { TerminalText.isUnsafe($0.element) }) {
            let code = String(u.value, radix: 16, uppercase: true)
            throw BanliError(.invalidValue, "The person's name holds a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code) "
                             + "at character \(i + 1)); give the account a display name of plain text.")
        }
        guard scalars.count <= maxLength else {
            throw BanliError(.invalidValue, "The person's name has \(scalars.count) characters, more than \(maxLength); "
                             + "give the account a shorter display name.")
        }
        return name
    }
}
