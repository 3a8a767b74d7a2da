import BanliCore
import BanliOps

/// Checks of hub URLs given by a person (config, flags) or read back from a store.
public enum HubURL {
    /// Characters a URL may hold besides letters and digits (RFC 3986); anything else (spaces, quotes, controls,
    /// terminal escapes, non-ASCII) is refused before it reaches libcurl, a log line or a metric label.
    private static let allowedPunctuation = Set("-._~:/?#[]@!$&'()*+,;=%".unicodeScalars)

    /// The URL without a trailing slash, or an error when it is not `http(s)://HOST…`.
    public static func validate(_ s: String) throws -> String {
        let printable = s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
            || allowedPunctuation.contains($0)) }
        guard s.hasPrefix("http://") || s.hasPrefix("https://"), s.count > 8, printable else {
            throw BanliError(.usage, "'\(s)' is not a hub URL; use http://HOST:PORT or https://HOST:PORT (ASCII, no spaces or quotes).")
        }
        return s.hasSuffix("/") ? String(s.dropLast()) : s
    }

    /// True when the URL's host is this machine (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ url: String) -> Bool {
        let rest = url.drop { $0 != "/" }.drop { $0 == "/" }
        var host = String(rest.prefix { $0 != "/" && $0 != "?" })
        if let at = host.lastIndex(of: "@") { host = String(host[host.index(after: at)...]) }
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex)..<end])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return ListenAddress.isLoopback(host: host)
    }

    /// Checks a list of hub URLs for one hub (failover order): each URL as `validate` does, then the list as a whole.
    /// `key` starts each error: where the list came from (`FILE line 3, key 'hub_url'`, `--hub-url`). Mixing http:// and
    /// https:// is refused unless plain HTTP is allowed: a failover would otherwise send the token in clear text.
    public static func validateList(_ urls: [String], key: String, allowPlainHTTP: Bool) throws -> [String] {
        guard !urls.isEmpty else {
            throw BanliError(.config, "\(key): the list is empty; give at least one hub URL, e.g. [\"https://hub.example.gov.cn:8480\"].")
        }
        var seen = Set<String>()
        let checked = try urls.enumerated().map { i, raw in
            guard let url = try? validate(raw) else {
                throw BanliError(.config, "\(key): element \(i + 1) ('\(raw)') is not a hub URL; "
                                 + "use http://HOST:PORT or https://HOST:PORT (ASCII, no spaces or quotes).")
            }
            guard seen.insert(url).inserted else {
                throw BanliError(.config, "\(key): \(url) is listed twice; give each hub URL once.")
            }
            return url
        }
        let plain = checked.filter { $0.hasPrefix("http://") }
        if !allowPlainHTTP, !plain.isEmpty, plain.count < checked.count {
            throw BanliError(.config, "\(key): the list mixes https:// and http:// URLs, so a failover would drop TLS; "
                             + "use https:// for every URL, or set allow_plain_http = true.")
        }
        return checked
    }

    /// The URLs of `--hub-url` flags: one keeps the sentence a single URL always had, several are checked as a list.
    public static func validateFlags(_ urls: [String], allowPlainHTTP: Bool) throws -> [String] {
        urls.count == 1 ? [try validate(urls[0])] : try validateList(urls, key: "--hub-url", allowPlainHTTP: allowPlainHTTP)
    }

    /// The store's `hubUrl` setting for a list: the URLs separated by spaces (a URL holds none), so a value written
    /// before failover existed reads back as a list of one.
    public static func storedForm(_ urls: [String]) -> String { urls.joined(separator: " ") }

    /// The URLs of a stored `hubUrl` setting.
    public static func list(stored: String) -> [String] { stored.split(separator: " ").map(String.init) }
}
