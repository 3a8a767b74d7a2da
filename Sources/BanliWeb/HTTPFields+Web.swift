import HTTPTypes

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    /// HTTP/1's Host header; HTTPTypes names it only as the request's authority, which HTTP/1 requests may leave unset.
    static let hostHeader = Self("Host")!
}
