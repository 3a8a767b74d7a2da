import PostgresNIO

/// Placeholder while the backend is built.
enum PostgresBackend {
    static let driver = PostgresClient.self
}
