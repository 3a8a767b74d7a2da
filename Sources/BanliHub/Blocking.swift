import Dispatch

/// Runs blocking SQLite work off the event loops.
enum Blocking {
    private static let queue = DispatchQueue(label: "banli.hub.store", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            queue.async { c.resume(with: Result { try body() }) }
        }
    }
}
