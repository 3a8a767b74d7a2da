/// An error a user can act on: a code for scripts and tests, and one sentence for people.
public struct BanliError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, stable across versions.
    public enum Code: String, Sendable, Equatable {
        case invalidId
        case invalidEntity
        case unknownField
        case invalidValue
        case permissionDenied
        case notFound
        case storeMissing
        case storeExists
        case corruptInput
        case clockSkew
        case usage
        case config
        case io
        /// The store cannot be written now (disk full, read-only): nothing changed; try again once fixed.
        case storeUnavailable
        case unreachable
        case unauthorized
        case protocolError
        case workflow
    }

    /// What went wrong, by kind.
    public var code: Code
    /// One sentence saying what is wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The process exit status for this error: 2 for bad input, 3 for network trouble, 1 otherwise.
    public var exitCode: Int32 {
        switch code {
        // An unknown item or unit is bad input too (docs/operations.md).
        case .usage, .invalidId, .invalidEntity, .unknownField, .invalidValue, .corruptInput, .config, .workflow, .notFound:
            return 2
        case .unreachable, .unauthorized, .protocolError:
            return 3
        default:
            return 1
        }
    }
}
