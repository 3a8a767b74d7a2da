/// Why the hub counts a unit as failing. Stored as JSON in the unit's `lastError` text, so that the
/// status page can say it in Chinese (and the JSON API in English) from the same record; text an older
/// release stored is kept and shown as it is.
public enum UnitFailure: Sendable, Hashable {
    /// The unit's sync request could not be read (its parser's sentence).
    case malformedRequest(detail: String)
    /// The token belongs to one unit and the request claims another.
    case wrongSite(tokenSite: String, claimed: String)
    /// The hub refused the unit's writes because its clock is ahead (the policy's sentence, the offset when known).
    case writesRefusedForClock(aheadSeconds: Int64?, detail: String)
    /// The unit's clock is ahead of the hub's by more than the hub accepts.
    case clockAhead(seconds: Int64)
    /// The unit's clock is behind the hub's by more than bureaus accept of the hub's states.
    case clockBehind(seconds: Int64)
    /// Text stored by an older release.
    case recorded(String)

    /// Longest site or detail kept: a hostile unit's request must not fill the status page.
    static let maxPart = 200

    /// The failure read back from its stored text: the JSON this type writes, or any other text as `.recorded`.
    public init(stored text: String) {
        guard text.hasPrefix("{\""), case .object(let o)? = try? JSONValue.parse(text) else {
            self = .recorded(text)
            return
        }
        func string(_ key: String) -> String { String((o[key]?.stringValue ?? "").prefix(Self.maxPart)) }
        func int(_ key: String) -> Int64 { o[key]?.intValue ?? 0 }
        switch o["failure"]?.stringValue {
        case "malformedRequest": self = .malformedRequest(detail: string("detail"))
        case "wrongSite": self = .wrongSite(tokenSite: string("tokenSite"), claimed: string("claimed"))
        case "writesRefusedForClock": self = .writesRefusedForClock(aheadSeconds: o["aheadSeconds"]?.intValue, detail: string("detail"))
        case "clockAhead": self = .clockAhead(seconds: int("seconds"))
        case "clockBehind": self = .clockBehind(seconds: int("seconds"))
        default: self = .recorded(text)
        }
    }

    /// The text kept in the store (`recorded` text as it is).
    public var stored: String {
        func cut(_ s: String) -> JSONValue { .string(String(s.prefix(Self.maxPart))) }
        let fields: [String: JSONValue]
        switch self {
        case .malformedRequest(let detail): fields = ["failure": .string("malformedRequest"), "detail": cut(detail)]
        case .wrongSite(let token, let claimed): fields = ["failure": .string("wrongSite"), "tokenSite": cut(token), "claimed": cut(claimed)]
        case .writesRefusedForClock(let ahead, let detail):
            fields = ["failure": .string("writesRefusedForClock"), "aheadSeconds": ahead.map(JSONValue.int) ?? .null, "detail": cut(detail)]
        case .clockAhead(let seconds): fields = ["failure": .string("clockAhead"), "seconds": .int(seconds)]
        case .clockBehind(let seconds): fields = ["failure": .string("clockBehind"), "seconds": .int(seconds)]
        case .recorded(let text): return text
        }
        return JSONValue.object(fields).canonicalJSON
    }

    /// One sentence for the operator: what is wrong and what to do.
    public var chinese: String {
        switch self {
        case .malformedRequest:
            "该单位发来的同步请求无法解析，交办机关没有收下；请把该单位的 banli 升级到与交办机关相同的版本，仍失败请把该单位的日志交给运维人员。"
        case .wrongSite(let token, let claimed):
            "该单位的令牌属于「\(Self.quoted(token))」，请求却以「\(Self.quoted(claimed))」的名义同步；请核对该单位 banli.toml 里的 site 与令牌文件是否对应。"
        case .writesRefusedForClock(let ahead, _):
            "该单位电脑的时钟比交办机关服务器快\(ahead.map { Self.duration($0) } ?? "太多")，交办机关拒收其修改；请校准该单位电脑的时间（NTP）后再同步。"
        case .clockAhead(let seconds):
            "该单位电脑的时钟比交办机关服务器快\(Self.duration(seconds))，其修改将被拒收；请校准该单位电脑的时间（NTP）。"
        case .clockBehind(let seconds):
            "该单位电脑的时钟比交办机关服务器慢\(Self.duration(seconds))，可能拒收交办机关的数据；请校准该单位电脑的时间（NTP）。"
        case .recorded(let text): text
        }
    }

    /// The same in English, as `/v1/status` and earlier releases say it.
    public var english: String {
        switch self {
        case .malformedRequest(let detail): detail
        case .wrongSite(let token, let claimed):
            "This token belongs to unit '\(token)', but the request is for '\(claimed)'; a unit may only sync as itself."
        case .writesRefusedForClock(_, let detail): "The hub refuses this unit's writes: \(detail)."
        case .clockAhead(let seconds):
            "The unit's clock is \(seconds) s ahead of the hub's; its writes are refused until that machine's clock is fixed (NTP)."
        case .clockBehind(let seconds):
            "The unit's clock is \(seconds) s behind the hub's; it may refuse the hub's states until that machine's clock is fixed (NTP)."
        case .recorded(let text): text
        }
    }

    /// A clock problem from the unit's last reported offset (its clock minus the hub's), or nil within tolerance.
    public static func clock(offsetMilliseconds offset: Int64) -> UnitFailure? {
        if offset > Int64(PushPolicy.unitSkewMilliseconds) { return .clockAhead(seconds: offset / 1000) }
        if offset < -Int64(HybridLogicalClock.maximumSkewMilliseconds - PushPolicy.unitSkewMilliseconds) {
            return .clockBehind(seconds: -offset / 1000)
        }
        return nil
    }

    /// A unit-supplied name, one line and short.
    static func quoted(_ s: String, limit: Int = 40) -> String {
        String(s.unicodeScalars.map { TerminalText.isUnsafe($0) ? "?" : Character($0) }.prefix(limit))
    }

    /// " 5 秒", "约 3 分钟", "约 2 小时", "约 4 天".
    static func duration(_ seconds: Int64) -> String {
        let s = Swift.max(0, seconds)
        if s < 120 { return " \(s) 秒" }
        // Rounded to the nearest: a clock 239 s fast is about 4 minutes fast.
        if s < 7200 { return "约 \((s + 30) / 60) 分钟" }
        if s < 172_800 { return "约 \((s + 1800) / 3600) 小时" }
        return "约 \((s + 43_200) / 86_400) 天"
    }
}
