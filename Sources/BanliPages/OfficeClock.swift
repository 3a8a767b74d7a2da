import BanliCore

/// Times as the office reads them on the status page: local time in the office's time zone, and how long ago.
public struct OfficeClock: Sendable, Hashable {
    /// Now, Unix milliseconds (the report's time).
    public var nowMilliseconds: Int64
    /// The office's offset from UTC now, in seconds (Asia/Shanghai: 28,800).
    public var utcOffsetSeconds: Int

    public init(nowMilliseconds: Int64, utcOffsetSeconds: Int = 8 * 3600) {
        self.nowMilliseconds = nowMilliseconds
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// `2025-05-20 14:03`, in the office's time zone.
    public func local(_ ms: Int64) -> String { Self.local(ms, utcOffsetSeconds: utcOffsetSeconds) }

    /// `2025-05-20 14:03` for Unix milliseconds at a UTC offset (Beijing's by default).
    public static func local(_ ms: Int64, utcOffsetSeconds: Int = 8 * 3600) -> String {
        let seconds = ms / 1000 + Int64(utcOffsetSeconds)
        let day = seconds.floorDivided(by: 86_400), inDay = seconds - day * 86_400
        let hh = inDay / 3600, mm = inDay % 3600 / 60
        return "\(ISODate(daysSinceEpoch: Int(day))) " + (hh < 10 ? "0" : "") + "\(hh):" + (mm < 10 ? "0" : "") + "\(mm)"
    }

    /// How long before now: `刚刚`, `3分钟前`, `2小时前`, `5天前` (or `just now`, `3 min ago`…); a time ahead of now says so.
    public func ago(_ ms: Int64, english: Bool = false) -> String {
        let seconds = (nowMilliseconds - ms) / 1000
        if seconds < 0 { return english ? "ahead of the hub's clock" : "晚于交办机关时钟" }
        if seconds < 60 { return english ? "just now" : "刚刚" }
        let (n, zh, en): (Int64, String, String) = switch seconds {
        case ..<3600: (seconds / 60, "分钟前", " min ago")
        case ..<86_400: (seconds / 3600, "小时前", " h ago")
        default: (seconds / 86_400, "天前", " d ago")
        }
        return "\(n)" + (english ? en : zh)
    }
}

extension Int64 {
    /// Division rounding towards minus infinity (times before 1970 stay on their day).
    fileprivate func floorDivided(by d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
}
