import BanliCore

/// An `Accept-Encoding` field value (RFC 9110 §12.5.3): the codings a peer accepts, with their weights.
///
/// The hub reads it from a bureau's request to choose a response's coding; a bureau reads it from the hub's response,
/// where it says which codings the hub accepts on requests (RFC 7694).
public struct AcceptEncoding: Sendable, Equatable {
    /// Each named coding (lowercased, `x-gzip` as `gzip`) and its weight, 0...1.
    public private(set) var weights: [String: Double] = [:]
    /// The weight of `*`: any coding not named.
    public private(set) var wildcard: Double?

    /// Parses a field value; elements that are not `coding[;q=qvalue]` are ignored, as if absent.
    public init(_ value: String) {
        for element in value.split(separator: ",") {
            let parts = element.split(separator: ";", omittingEmptySubsequences: false)
            let name = String(parts[0]).trimmedWhitespace.lowercased()
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else { continue }
            var weight = 1.0
            var valid = true
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2, String(pair[0]).trimmedWhitespace.lowercased() == "q" else { continue }
                guard let q = Self.qvalue(String(pair[1]).trimmedWhitespace) else { valid = false; break }
                weight = q
            }
            guard valid else { continue }
            if name == "*" { wildcard = weight } else { weights[name == "x-gzip" ? "gzip" : name] = weight }
        }
    }

    /// The weight the value gives `coding` (`identity` is acceptable unless excluded by name or by `*;q=0`).
    public func weight(of coding: String) -> Double {
        let name = coding.lowercased()
        if let w = weights[name] { return w }
        return wildcard ?? (name == "identity" ? 1 : 0)
    }

    /// The coding to use among `offered` (in the chooser's preference order): the one with the highest weight above 0,
    /// the chooser's order breaking ties; nil (no coding) when none is acceptable or when `identity`, weighed by name or
    /// by `*`, weighs more. An unweighed `identity` does not compete: `gzip;q=0.5` alone still asks for gzip.
    public func preferred(among offered: [ContentCoding] = ContentCoding.allCases) -> ContentCoding? {
        var best: (coding: ContentCoding, weight: Double)?
        for coding in offered {
            let w = weight(of: coding.rawValue)
            if w > 0, w > (best?.weight ?? 0) { best = (coding, w) }
        }
        guard let best, best.weight >= weights["identity"] ?? wildcard ?? 0 else { return nil }
        return best.coding
    }

    /// The value the hub sends to advertise the request codings it accepts.
    public static let advertised = ContentCoding.allCases.map(\.rawValue).joined(separator: ", ")

    /// A qvalue: `0[.ddd]` or `1[.000]`.
    static func qvalue(_ s: String) -> Double? {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        if bytes.count == 1 { return first == UInt8(ascii: "1") ? 1 : 0 }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        let digits = bytes.dropFirst(2)
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        if first == UInt8(ascii: "1") { return digits.allSatisfy { $0 == UInt8(ascii: "0") } ? 1 : nil }
        return digits.reduce((0.0, 0.1)) { acc, d in (acc.0 + Double(d - UInt8(ascii: "0")) * acc.1, acc.1 / 10) }.0
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
