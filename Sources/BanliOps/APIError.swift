import BanliCore
import Hummingbird

/// An error a Banli listener (the hub, the metrics endpoint) answers with: a status and `{"error": "<one sentence>"}`.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    /// The `WWW-Authenticate` challenge of a 401 (Bearer for bureaus, Basic for an operator's browser).
    public var challenge: String
    /// The `Allow` header of a 405.
    public var allow: String?
    /// Answer with `Connection: close` and close: the request's body was left unread.
    public var closeConnection: Bool
    /// Further header fields (e.g. `Accept-Encoding` on a 415).
    public var headers: HTTPFields = [:]

    public init(
        _ status: HTTPResponse.Status, _ message: String, challenge: String = "Bearer realm=\"banli\"", allow: String? = nil, closeConnection: Bool = false
    ) {
        self.status = status
        self.message = message
        self.challenge = challenge
        self.allow = allow
        self.closeConnection = closeConnection
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var out = "{\"error\":"
        JSONValue.writeString(message, to: &out)
        out += "}\n"
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if status == .unauthorized { headers[.wwwAuthenticate] = challenge }
        if let allow { headers[.allow] = allow }
        if closeConnection { headers[.connection] = "close" }
        if status == .serviceUnavailable { headers[.retryAfter] = "30" }
        headers.append(contentsOf: self.headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: out)))
    }
}

/// Turns any error a handler throws into a JSON error response; never lets one take the hub down.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The listener's paths and their methods: a wrong method on one of them is 405, not 404.
    var knownPaths: [String: String]

    public init(knownPaths: [String: String] = [:]) {
        self.knownPaths = knownPaths
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            throw e
        } catch let e as BanliError where e.code == .storeUnavailable {
            // Not a bug: the disk is full or the store read-only. The operator acts; bureaus retry later.
            context.logger.error("store unavailable: \(e.message)")
            throw APIError(.serviceUnavailable, e.message)
        } catch let e as BanliError {
            context.logger.error("request failed: \(e.message)")
            throw APIError(.internalServerError, e.message)
        } catch let e as HTTPError {
            let message: String
            switch e.status {
            case .notFound where knownPaths[request.uri.path] != nil:
                throw APIError(.methodNotAllowed, "\(request.method) is not served on \(request.uri.path); see docs/protocol.md.",
                               allow: knownPaths[request.uri.path])
            case .notFound: message = "No such path; see docs/protocol.md for the hub's paths."
            case .methodNotAllowed: message = "Wrong method for this path; see docs/protocol.md."
            default: message = e.body ?? e.status.reasonPhrase
            }
            throw APIError(e.status, message)
        } catch {
            context.logger.error("request failed: \(error)")
            throw APIError(.internalServerError, "The hub failed to handle this request; it was rolled back. See the hub's log.")
        }
    }
}

/// Responses with a JSON body.
public enum JSONResponse {
    public static func ok(_ json: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}
