import BanliCompression
import BanliCore
import BanliProtocol
import CCurl
import Foundation
import Synchronization

/// TLS, proxy and timeout settings for reaching the hub.
public struct TransportOptions: Sendable {
    /// PEM CA bundle to verify the hub with; nil = the system store.
    public var caFile: String?
    /// PEM client certificate and key for mutual TLS.
    public var clientCert: String?
    public var clientKey: String?
    /// An HTTP proxy URL.
    public var proxy: String?
    /// Seconds to establish a connection.
    public var connectTimeout: Double = 10
    /// Seconds for one whole request.
    public var requestTimeout: Double = 60
    /// Compressed exchanges: accept compressed answers, and compress pushes larger than `Codec.threshold` once the hub
    /// has advertised a coding it accepts (`Accept-Encoding` on its answers). Off: plain JSON both ways.
    public var compression = true

    public init() {}
}

/// The real transport: libcurl, one reusable handle (keep-alive), compressed exchanges, TLS verification.
public final class CurlTransport: Transport, @unchecked Sendable {
    public let baseURL: String
    private let token: @Sendable () -> String
    /// Sent as `X-Banli-Site`, so the hub can name the unit in its log when it refuses the token.
    private let site: String?
    private let options: TransportOptions
    private let lock = Mutex<Void>(())
    private let handle: UnsafeMutableRawPointer
    /// The coding the hub last advertised for requests (nil: none, or an older hub); read and written under `lock`.
    private var hubCoding: ContentCoding?

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    /// A transport to `baseURL` (e.g. `https://hub:8480`) authenticating with `token`.
    public convenience init(baseURL: String, token: String, site: String? = nil, options: TransportOptions = TransportOptions()) {
        self.init(baseURL: baseURL, site: site, options: options) { token }
    }

    /// A transport whose token is asked for at each request (a daemon re-reads a replaced token file).
    public init(baseURL: String, site: String?, options: TransportOptions = TransportOptions(), token: @escaping @Sendable () -> String) {
        _ = Self.globalInit
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.site = site
        self.options = options
        handle = curl_easy_init()
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    public func post(_ path: String, json: String) throws -> HTTPResult {
        try lock.withLock { _ in
            let plain = Array(json.utf8)
            let coding = options.compression && plain.count > Codec.threshold ? hubCoding : nil
            var result = try perform(path: path, body: coding.map { Codec.compress(plain, as: $0) } ?? plain, coding: coding,
                                     headers: [], extraTimeout: 0, cancel: nil)
            let advertised = result.headers["accept-encoding"].flatMap { AcceptEncoding($0).preferred() }
            if (200..<300).contains(result.status) {
                hubCoding = advertised
            } else if let coding, result.status == 415 || (result.status == 400 && advertised == nil) {
                // A hub that no longer takes this coding (415), or an older one that read it as JSON (400 without an
                // advertisement): once more in plain JSON, which every hub reads.
                hubCoding = advertised == coding ? nil : advertised
                result = try perform(path: path, body: plain, coding: nil, headers: [], extraTimeout: 0, cancel: nil)
            }
            return result
        }
    }

    /// POSTs raw bytes as they are, with further header lines such as `Content-Encoding: zstd` (for tools and tests
    /// that send what a JSON string cannot hold).
    public func post(_ path: String, bytes: [UInt8], headers: [String] = []) throws -> HTTPResult {
        try lock.withLock { _ in try perform(path: path, body: bytes, coding: nil, headers: headers, extraTimeout: 0, cancel: nil) }
    }

    public func get(_ path: String, extraTimeout: Double, cancel: CancelFlag?) throws -> HTTPResult {
        try lock.withLock { _ in try perform(path: path, body: nil, coding: nil, headers: [], extraTimeout: extraTimeout, cancel: cancel) }
    }

    /// Collects the response body (decoded: the limit holds for what a compressed answer decompresses to) and headers.
    private final class Sink {
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        let cancel: CancelFlag?
        let limit = 256 << 20
        init(cancel: CancelFlag?) { self.cancel = cancel }

        /// One header line as libcurl hands it over; a status line starts a new answer's fields.
        func header(_ line: String) {
            if line.hasPrefix("HTTP/") { headers = [:]; return }
            guard let colon = line.firstIndex(of: ":") else { return }
            let name = String(line[..<colon]).trimmedWhitespace.lowercased()
            let value = String(line[line.index(after: colon)...]).trimmedWhitespace
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
    }

    /// One request; the caller holds `lock`. `coding` names the coding `body` is already compressed with.
    private func perform(path: String, body: [UInt8]?, coding: ContentCoding?, headers extra: [String], extraTimeout: Double,
                         cancel: CancelFlag?) throws -> HTTPResult {
        let h = handle
        curl_easy_reset(h)
        let url = baseURL + path
        let sink = Sink(cancel: cancel)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Authorization: Bearer \(token())")
        if let site { headers = curl_slist_append(headers, "X-Banli-Site: \(site)") }
        headers = curl_slist_append(headers, "Content-Type: application/json")
        headers = curl_slist_append(headers, "Expect:")
        headers = curl_slist_append(headers, "User-Agent: banli/\(banliVersion)")
        if let coding { headers = curl_slist_append(headers, "Content-Encoding: \(coding.rawValue)") }
        for line in extra { headers = curl_slist_append(headers, line) }
        defer { curl_slist_free_all(headers) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let code: CURLcode = try errorBuffer.withUnsafeMutableBufferPointer { eb in
            try set(banli_curl_setopt_string(h, CURLOPT_URL, url), "URL")
            try set(banli_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headers), "HTTPHEADER")
            try set(banli_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, eb.baseAddress), "ERRORBUFFER")
            // "": every coding this libcurl decodes (zstd, br, gzip, deflate); libcurl decodes the answer.
            if options.compression { try set(banli_curl_setopt_string(h, CURLOPT_ACCEPT_ENCODING, ""), "ACCEPT_ENCODING") }
            try set(banli_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
            try set(banli_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000)), "CONNECTTIMEOUT_MS")
            try set(banli_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int((options.requestTimeout + extraTimeout) * 1000)), "TIMEOUT_MS")
            try set(banli_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
            try set(banli_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
            if let ca = options.caFile { try set(banli_curl_setopt_string(h, CURLOPT_CAINFO, ca), "CAINFO", setting: "tls.ca_file") }
            if let cert = options.clientCert { try set(banli_curl_setopt_string(h, CURLOPT_SSLCERT, cert), "SSLCERT", setting: "tls.client_cert") }
            if let key = options.clientKey { try set(banli_curl_setopt_string(h, CURLOPT_SSLKEY, key), "SSLKEY", setting: "tls.client_key") }
            if let proxy = options.proxy { try set(banli_curl_setopt_string(h, CURLOPT_PROXY, proxy), "PROXY", setting: "proxy") }
            try set(banli_curl_setopt_write_function(h, CURLOPT_WRITEFUNCTION) { ptr, size, n, user in
                let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
                let count = size * n
                guard sink.body.count + count <= sink.limit else { return 0 }
                sink.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: count))
                return count
            }, "WRITEFUNCTION")
            try set(banli_curl_setopt_pointer(h, CURLOPT_WRITEDATA, sinkPointer), "WRITEDATA")
            try set(banli_curl_setopt_write_function(h, CURLOPT_HEADERFUNCTION) { ptr, size, n, user in
                let count = size * n
                let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: count), as: UTF8.self)
                Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue().header(line)
                return count
            }, "HEADERFUNCTION")
            try set(banli_curl_setopt_pointer(h, CURLOPT_HEADERDATA, sinkPointer), "HEADERDATA")
            if cancel != nil {
                try set(banli_curl_setopt_long(h, CURLOPT_NOPROGRESS, 0), "NOPROGRESS")
                try set(banli_curl_setopt_xferinfo_function(h) { user, _, _, _, _ in
                    Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue().cancel?.isCancelled == true ? 1 : 0
                }, "XFERINFOFUNCTION")
                try set(banli_curl_setopt_pointer(h, CURLOPT_XFERINFODATA, sinkPointer), "XFERINFODATA")
            }
            if let body {
                return try body.withUnsafeBufferPointer { b in
                    try set(banli_curl_setopt_long(h, CURLOPT_POST, 1), "POST")
                    try set(banli_curl_setopt_offset(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(b.count)), "POSTFIELDSIZE_LARGE")
                    try set(banli_curl_setopt_pointer(h, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: b.baseAddress)), "POSTFIELDS")
                    return curl_easy_perform(h)
                }
            }
            return curl_easy_perform(h)
        }
        withExtendedLifetime(sink) {}
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw Self.describe(code, detail: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, url: baseURL, options: options)
        }
        var status = 0
        _ = banli_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        // The answer's body as received, before libcurl decoded it.
        var received: curl_off_t = 0
        _ = banli_curl_getinfo_offset(h, CURLINFO_SIZE_DOWNLOAD_T, &received)
        return HTTPResult(status: status, body: sink.body, headers: sink.headers, bytesSent: body?.count ?? 0, bytesReceived: Int(received))
    }

    /// Fails the request when libcurl refuses an option: an option this libcurl lacks (built without TLS, say) must not
    /// silently send a request without it.
    private func set(_ code: CURLcode, _ option: String, setting: String? = nil) throws {
        guard code != CURLE_OK else { return }
        let why = String(cString: curl_easy_strerror(code))
        let fix = setting.map { "check \($0) in the config" } ?? "install a libcurl with TLS and HTTP support (libcurl4-openssl-dev's runtime)"
        throw BanliError(.unreachable, "libcurl refused CURLOPT_\(option) (\(why)) for the hub at \(baseURL); \(fix).")
    }

    /// One sentence for a transfer failure, naming the hub and what to check.
    static func describe(_ code: CURLcode, detail: String, url: String, options: TransportOptions) -> BanliError {
        // A scheme that does not match the hub: say so, rather than leave "wrong version number".
        if code == CURLE_SSL_CONNECT_ERROR, detail.contains("wrong version number") {
            return BanliError(.unreachable, "The hub at \(url) answered plain HTTP, not TLS (\(detail)); use http:// in hub_url, or enable TLS at the hub.")
        }
        // A TLS listener closes on a plain request without a word: libcurl can only say "Empty reply".
        if url.hasPrefix("http://"), code == CURLE_GOT_NOTHING {
            return BanliError(.unreachable, "The hub at \(url) closed the connection without an answer (\(detail)); "
                              + "if the hub serves TLS, use https:// in hub_url, else check that it is running.")
        }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
             CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return BanliError(.unreachable, "The hub at \(url) is unreachable (\(detail)); check that it is running and that this machine can reach it.")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            let ca = options.caFile.map { "tls.ca_file (\($0))" } ?? "tls.ca_file"
            return BanliError(.unreachable, "TLS with the hub at \(url) failed (\(detail)); check \(ca) and the hub's certificate.")
        case CURLE_ABORTED_BY_CALLBACK:
            return BanliError(.unreachable, "The request to \(url) was cancelled.")
        case CURLE_WRITE_ERROR:
            return BanliError(.protocolError, "The hub at \(url) sent an answer larger than 256 MiB; lower batch_limit.")
        default:
            return BanliError(.unreachable, "The request to the hub at \(url) failed (\(detail)).")
        }
    }
}
