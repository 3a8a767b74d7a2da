import BanliCompression
import BanliCore
import BanliHubStorage
import BanliOps
import BanliProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The bureaus' listener: `POST /v1/sync`, `GET /v1/wait`, `GET /healthz`.
struct SyncRoutes: Sendable {
    let storage: any HubStorage
    let auth: TokenAuthenticator
    let signal: ChangeSignal
    let settings: HubSettings
    let metrics: HubMetrics
    let limiter: RateLimiter?
    let refusals: RefusalLog
    let failures: UnitFailures
    let logger: Logger

    init(storage: any HubStorage, auth: TokenAuthenticator, signal: ChangeSignal, settings: HubSettings, metrics: HubMetrics, logger: Logger) async {
        self.storage = storage
        self.auth = auth
        self.signal = signal
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        limiter = settings.rateLimit > 0 ? RateLimiter(perSecond: settings.rateLimit, burst: settings.rateBurst) : nil
        refusals = RefusalLog(logger: logger)
        // Units that were failing when the hub stopped: their next success is a recovery too.
        let rows = (try? await storage.unitStatuses()) ?? [:]
        failures = UnitFailures(failing: rows.values.reduce(into: [:]) { out, r in
            if r.lastError != nil { out[r.site] = Double(r.lastContactAt ?? 0) / 1000 }
        })
    }

    /// Records a failed exchange of an authenticated unit, for monitoring and for its recovery line.
    func recordFailure(unit: String, _ failure: UnitFailure) async {
        failures.failed(unit)
        try? await storage.recordFailure(unit: unit, failure: failure, nowMilliseconds: HybridLogicalClock.wallMilliseconds())
    }

    /// Refuses a unit over its request rate with 429.
    func throttle(_ unit: String) throws {
        guard let limiter, !limiter.allow(unit) else { return }
        metrics.refused(reason: "rate")
        throw APIError(.tooManyRequests, "Unit '\(unit)' is sending more than \(limiter.perSecond) requests a second; it will be served again shortly.",
                       closeConnection: true)
    }

    func register(on router: Router<BasicRequestContext>) {
        HealthRoutes.register(on: router, storage: storage)
        router.post("/v1/sync") { request, context in try await sync(request, context) }
        router.get("/v1/wait") { request, context in try await wait(request, context) }
    }

    /// The unit whose token the request carries. Decided from the headers alone: a request without a
    /// valid token is refused before its body is read, touches no unit's bookkeeping, and its
    /// connection is closed; it is counted by reason in `/metrics`.
    func authenticate(_ request: Request) async throws -> String {
        let claim = request.headers[Self.siteHeader]
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            metrics.refused(reason: "missing_token")
            refusals.refused(claim: claim, reason: "missing_token")
            throw APIError(.unauthorized, "Missing bearer token; send 'Authorization: Bearer <this unit's token>'.", closeConnection: true)
        }
        let token = String(header.dropFirst(7)).trimmedWhitespace
        guard let site = await auth.site(for: token) else {
            metrics.refused(reason: "bad_token")
            refusals.refused(claim: claim, reason: "bad_token")
            throw APIError(.unauthorized, "The token is not valid; ask the office for this unit's current token (banli hub rotate-token).",
                           closeConnection: true)
        }
        return site
    }

    /// The unit a bureau says it is: logged when its token is refused, never trusted for anything else.
    static let siteHeader = HTTPField.Name("X-Banli-Site")!

    /// The request body, refused with 413 past the limit.
    func body(_ request: Request) async throws -> [UInt8] {
        let limit = settings.maxBodyBytes
        let tooLarge = APIError(.contentTooLarge, "The request body is larger than \(limit) bytes; lower batch_limit on the bureau.", closeConnection: true)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            metrics.refused(reason: "too_large")
            throw tooLarge
        }
        var bytes: [UInt8] = []
        for try await chunk in request.body {
            guard bytes.count + chunk.readableBytes <= limit else {
                metrics.refused(reason: "too_large")
                throw tooLarge
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// The coding of a request body (nil: none), from its `Content-Encoding`; a coding the hub cannot decode is 415,
    /// decided before the body is read.
    func requestCoding(_ request: Request) throws -> ContentCoding? {
        let values = request.headers[values: .contentEncoding].flatMap { $0.split(separator: ",") }
            .map { String($0).trimmedWhitespace }.filter { !$0.isEmpty && $0.lowercased() != "identity" }
        guard !values.isEmpty else { return nil }
        guard values.count == 1, let coding = ContentCoding(headerValue: values[0]) else {
            metrics.refused(reason: "unsupported_coding")
            // The sender's header echoed at most 40 characters: it may be kilobytes of anything.
            // AdvertiseCodings adds the Accept-Encoding that names the codings the hub takes.
            throw APIError(.unsupportedMediaType, "The hub cannot decode Content-Encoding '\(values.joined(separator: ", ").prefix(40))'; "
                           + "send one of \(AcceptEncoding.advertised), or none.", closeConnection: true)
        }
        return coding
    }

    /// The request body decoded: 413 when it decompresses past `maxBodyBytes`, 400 when it is truncated or corrupt.
    func decoded(_ wire: [UInt8], _ coding: ContentCoding?, unit: String) async throws -> [UInt8] {
        guard let coding else {
            metrics.syncBody(direction: "received", coding: "identity", wireBytes: wire.count, jsonBytes: wire.count)
            return wire
        }
        let limit = settings.maxBodyBytes
        do {
            let bytes = try Codec.decompress(wire, from: coding, limit: limit)
            metrics.syncBody(direction: "received", coding: coding.rawValue, wireBytes: wire.count, jsonBytes: bytes.count)
            return bytes
        } catch DecompressionError.tooLarge {
            metrics.refused(reason: "too_large")
            throw APIError(.contentTooLarge, "The request body decompresses to more than \(limit) bytes; lower batch_limit on the bureau.")
        } catch DecompressionError.outOfMemory {
            throw APIError(.serviceUnavailable, DecompressionError.outOfMemory.sentence(coding))
        } catch let e as DecompressionError {
            let message = e.sentence(coding)
            await recordFailure(unit: unit, .malformedRequest(detail: message))
            metrics.refused(reason: "malformed")
            throw APIError(.badRequest, message)
        }
    }

    /// A sync answer: compressed with the coding the bureau prefers when it is larger than the threshold, and always
    /// with `Vary: Accept-Encoding`.
    func answer(_ json: String, to request: Request) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .vary: "Accept-Encoding"]
        var body = ByteBuffer(string: json)
        var coding = "identity"
        let accepted = request.headers[values: .acceptEncoding]
        if body.readableBytes > settings.compressionThreshold, !accepted.isEmpty,
           let chosen = AcceptEncoding(accepted.joined(separator: ", ")).preferred() {
            body = ByteBuffer(bytes: Codec.compress(Array(json.utf8), as: chosen))
            headers[.contentEncoding] = chosen.rawValue
            coding = chosen.rawValue
        }
        metrics.syncBody(direction: "sent", coding: coding, wireBytes: body.readableBytes, jsonBytes: json.utf8.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    func sync(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let unit = try await authenticate(request)
        try throttle(unit)
        let started = ContinuousClock.now
        let coding = try requestCoding(request)
        let bytes = try await decoded(try await body(request), coding, unit: unit)
        let envelope: SyncRequestEnvelope
        do {
            envelope = try SyncRequestEnvelope(bytes: bytes)
        } catch let e as BanliError {
            await recordFailure(unit: unit, .malformedRequest(detail: e.message))
            metrics.refused(reason: "malformed")
            throw APIError(.badRequest, e.message)
        }
        guard envelope.site == unit else {
            let failure = UnitFailure.wrongSite(tokenSite: unit, claimed: envelope.site)
            await recordFailure(unit: unit, failure)
            throw APIError(.forbidden, failure.english)
        }
        let now = HybridLogicalClock.wallMilliseconds()
        let offset = envelope.clientTime.map { Int64(bitPattern: $0) - Int64(bitPattern: now) }
        let report = UnitReport(clientVersion: envelope.clientVersion, backlog: envelope.backlog, clockOffsetMs: offset, storeId: envelope.storeId)
        let exchange = try await storage.exchange(HubExchangeRequest(
            unit: unit, cursor: envelope.cursor, pushMark: envelope.pushMark, pushThrough: envelope.pushThrough,
            exchangeNumber: envelope.exchange, resyncRequested: envelope.resync, changes: envelope.changes, limit: envelope.limit, report: report,
            nowMilliseconds: now))
        if exchange.changedHub { signal.signal() }
        if let failure = failures.succeeded(unit) {
            let seconds = Int(max(0, Date().timeIntervalSince1970 - failure.since).rounded())
            let count = failure.count > 0 ? " (failed requests seen: \(failure.count))" : ""
            logger.notice("unit '\(unit)' recovered after \(seconds) s of failed exchanges\(count)")
        }
        metrics.exchanged(unit: unit, accepted: exchange.accepted, rejected: exchange.rejected.count, pulled: exchange.changes.count)
        let took = (ContinuousClock.now - started).components
        metrics.trend(unit: unit, atMilliseconds: now, latencyMilliseconds: Int(took.seconds * 1000 + took.attoseconds / 1_000_000_000_000_000),
                      backlog: envelope.backlog)
        if !exchange.rejected.isEmpty {
            context.logger.notice("refused \(exchange.rejected.count) changes from \(unit)", metadata: ["first": "\(exchange.rejected[0].reason)"])
        }
        let response = SyncResponse(exchange: exchange, hubId: storage.hubId, hubTime: HybridLogicalClock.wallMilliseconds())
        return answer(response.json(hubSite: storage.hubSite), to: request)
    }

    func wait(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let unit = try await authenticate(request)
        try throttle(unit)
        guard let cursorText = request.uri.queryParameters["cursor"], let cursor = Int64(cursorText), cursor >= 0 else {
            throw APIError(.badRequest, "GET /v1/wait needs ?cursor=N with the unit's current cursor.")
        }
        var timeout = 30.0
        if let t = request.uri.queryParameters["timeout"] {
            guard let v = Double(t), v >= 0, v <= 60 else { throw APIError(.badRequest, "timeout must be between 0 and 60 seconds.") }
            timeout = v
        }
        // A cursor ahead of anything this hub holds means it was restored: tell the unit to sync now.
        if try await storage.headChangeNumber() < cursor {
            return JSONResponse.ok("{\"cursor\":\(cursor),\"changed\":true}\n")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let version = signal.version
            if try await storage.hasChanges(for: unit, after: cursor) {
                let seq = try await storage.headChangeNumber()
                return JSONResponse.ok("{\"cursor\":\(seq),\"changed\":true}\n")
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 || Task.isCancelled || signal.isClosing { break }
            await signal.wait(after: version, timeout: remaining)
        }
        return JSONResponse.ok("{\"cursor\":\(cursor),\"changed\":false}\n")
    }
}

/// Advertises on every answer of the bureaus' listener, errors included, the codings the hub accepts on requests
/// (RFC 7694), so a bureau tells a new hub's 400 from an older hub's that read a compressed body as JSON.
struct AdvertiseCodings<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            if response.headers[.acceptEncoding] == nil { response.headers[.acceptEncoding] = AcceptEncoding.advertised }
            return response
        } catch var e as APIError {
            if e.headers[.acceptEncoding] == nil { e.headers[.acceptEncoding] = AcceptEncoding.advertised }
            throw e
        }
    }
}
