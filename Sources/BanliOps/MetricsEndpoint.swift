import BanliCore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// A small HTTP listener that serves `GET /metrics` (and `/healthz`) from a render closure:
/// the bureau daemon's optional `metrics_listen`.
public struct MetricsEndpoint: Sendable {
    let address: ListenAddress
    let render: @Sendable () async throws -> String
    let logger: Logger

    public init(address: ListenAddress, logger: Logger, render: @escaping @Sendable () async throws -> String) {
        self.address = address
        self.logger = logger
        self.render = render
    }

    /// The Hummingbird application, to run in the caller's `ServiceGroup`.
    public func application() -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        router.get("/healthz") { _, _ in JSONResponse.ok("{\"status\":\"ok\"}\n") }
        let render = self.render
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: try await render())))
        }
        return Application(router: router,
                           configuration: .init(address: .hostname(address.host, port: address.port), serverName: "banli-metrics"),
                           logger: logger)
    }
}
