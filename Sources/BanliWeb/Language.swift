import Hummingbird

/// The page language: Chinese first; `?lang=en` switches (and a cookie keeps it), as on the status page.
enum Language: String, Sendable {
    case zh, en

    static let cookieName = "banli_lang"

    init(_ request: Request) {
        if let q = request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:)) {
            self = q
        } else {
            self = request.cookies[Self.cookieName].flatMap { Language(rawValue: $0.value) } ?? .zh
        }
    }

    /// The text in this language: the Chinese is the source, the English beside it at the call.
    func t(_ zh: String, _ en: String) -> String { self == .zh ? zh : en }

    var htmlLang: String { self == .zh ? "zh-CN" : "en" }
}
