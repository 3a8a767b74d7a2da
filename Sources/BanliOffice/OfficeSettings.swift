import BanliCore

/// The office's settings that its printed words depend on: kept as hub-authored fields of the hub's own
/// directory entry (`unit/{hub}`), so every bureau holds the same ones after a sync.
public struct OfficeSettings: Sendable, Hashable {
    /// The level of jurisdiction printed when none is set: a city's office.
    public static let defaultJurisdiction = "市"

    /// The level of the office's jurisdiction: 市, 县, 省 (`jurisdiction`), as in 全市 or 县人大.
    public var jurisdiction: String
    /// The office's name (`name` of the hub's entry), e.g. 县政协提案委.
    public var officeName: String?

    public init(jurisdiction: String? = nil, officeName: String? = nil) {
        let j = jurisdiction?.trimmedWhitespace ?? ""
        self.jurisdiction = j.isEmpty ? Self.defaultJurisdiction : j
        self.officeName = officeName
    }

    /// Reads the settings from the hub's directory entry.
    public init(hubEntry: FieldValues) {
        self.init(jurisdiction: hubEntry["jurisdiction"]?.stringValue, officeName: hubEntry["name"]?.stringValue)
    }

    /// Checks a jurisdiction typed by the office: one short level word, printed inside sentences.
    public static func validJurisdiction(_ text: String) throws -> String {
        let j = text.trimmedWhitespace
        guard !j.isEmpty, j.count <= 12, !j.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw BanliError(.usage, "--jurisdiction takes the office's level in a few characters, such as 市, 县 or 省.")
        }
        return j
    }
}
