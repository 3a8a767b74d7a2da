import BanliCore
import BanliHubStorage
import GRDB

/// The SQLite store as the commands' `RecordStore` (the shared queries are in its extension).
extension Store: RecordStore {
    public func hubStorage() throws -> any HubStorage { try SQLiteHubStorage(self) }

    public func entities(everHolding value: JSONValue, in fields: [String]) throws -> [String] {
        try reading { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT entity FROM history WHERE field IN (\(databaseQuestionMarks(count: fields.count))) AND value = ?
                """, arguments: StatementArguments(fields + [value.canonicalJSON]))
        }
    }
}
