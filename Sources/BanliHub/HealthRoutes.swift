import BanliHubStorage
import BanliOps
import Hummingbird

/// `GET`/`HEAD /healthz` on both listeners: 200 while the hub can use its store, else 503 with `Retry-After` and the
/// store's one sentence (the error middleware turns `BanliError(.storeUnavailable, …)` into that answer).
enum HealthRoutes {
    static func register(on router: Router<BasicRequestContext>, storage: any HubStorage) {
        router.get("/healthz") { _, _ in
            try await storage.ping()
            return JSONResponse.ok("{\"status\":\"ok\"}\n")
        }
        router.head("/healthz") { _, _ in
            try await storage.ping()
            return JSONResponse.ok("")
        }
    }
}
