import BanliCore
import Foundation
import Mustache

/// HTML text, for the pages and forms Banli renders itself.
public enum HTML {
    /// `s` with `& < > " '` escaped, safe inside element text and quoted attributes.
    ///
    /// Works on Unicode scalars, as an HTML parser reads: a quote followed by a combining mark is one
    /// `Character` in Swift but still ends an attribute value in a browser.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Parses one of Banli's page templates, whose `{{value}}` tags escape with `escape(_:)`.
    ///
    /// swift-mustache's own HTML escaping compares whole `Character`s, so `"` or `<` followed by a combining
    /// mark or a zero-width joiner would pass unescaped; the templates select this escaping by their first tag.
    /// A template is a constant of the binary, so a parse error is a programming error.
    /// A value for a URL's path or query: letters, digits and `-._~/` as they are, every other byte as `%XX`.
    public static func percentEncoded(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    public static func template(_ text: String) -> MustacheTemplate {
        _ = registered
        do {
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: \(contentTypeName)}}" + text)
        } catch {
            preconditionFailure("A page template does not parse: \(error)")
        }
    }

    private static let contentTypeName = "BANLI_HTML"

    private struct ContentType: MustacheContentType {
        func escapeText(_ text: String) -> String { HTML.escape(text) }
    }

    private static let registered: Void = MustacheContentTypes.register(ContentType(), named: contentTypeName)
}
