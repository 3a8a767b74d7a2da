import BanliCore
import BanliOffice

/// Charts drawn on the server as inline SVG: no script, no external font, no `style` attribute (the workbench's
/// Content-Security-Policy forbids them), only presentation attributes and classes. Every text is escaped, every
/// chart has a fixed viewBox and scales to the width of the page, so it reads on a phone and prints on A4.
public enum Charts {
    /// The width of the bar charts' viewBox, narrow so that a phone shrinks their text little.
    public static let width = 520.0
    /// The width of the monthly chart's viewBox.
    public static let monthlyWidth = 600.0
    /// Where the bars of a rate or count chart start, and how long a whole bar (100 %) is.
    public static let barStart = 172.0, barLength = 200.0
    static let rowHeight = 32.0, barHeight = 20.0

    /// One rate to draw: its label, a key kept on the bar (`data-key`), and the rate itself.
    public struct RateBar: Sendable {
        public var label: String, key: String, rate: Rate
        public init(label: String, key: String, rate: Rate) {
            self.label = label
            self.key = key
            self.rate = rate
        }
    }

    /// The length of a rate's bar: proportional to num/den, nil when there is nothing to divide by (no bar at all).
    public static func length(_ rate: Rate) -> Double? {
        guard rate.den > 0 else { return nil }
        return barLength * Double(min(max(rate.num, 0), rate.den)) / Double(rate.den)
    }

    /// Horizontal bars, one per rate, with `num/den` and the percentage beside each; an empty denominator shows "—"
    /// and draws only the empty track.
    public static func rates(_ bars: [RateBar], title: String) -> String {
        var body = ""
        for (i, b) in bars.enumerated() {
            let y = 8 + Double(i) * rowHeight
            body += label(b.label, x: barStart - 8, y: y + 15, anchor: "end", size: 16)
            body += "<rect class=\"track\" x=\"\(n(barStart))\" y=\"\(n(y))\" width=\"\(n(barLength))\" height=\"\(n(barHeight))\" fill=\"#eef0f3\"/>"
            if let w = length(b.rate) {
                body += "<rect class=\"bar\" data-key=\"\(HTML.escape(b.key))\" data-num=\"\(b.rate.num)\" data-den=\"\(b.rate.den)\" "
                    + "x=\"\(n(barStart))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(barHeight))\" fill=\"#a3211c\"/>"
            }
            body += label("\(b.rate.percent)（\(b.rate.num)/\(b.rate.den)）", x: barStart + barLength + 8, y: y + 15, anchor: "start", size: 16)
        }
        return svg(title: title, height: 16 + Double(bars.count) * rowHeight, body: body, cls: "rates")
    }

    /// Horizontal bars of counts (the reply categories), each as long as its share of the largest, the count beside it.
    public static func counts(_ rows: [(label: String, key: String, count: Int)], unit: String, title: String) -> String {
        let most = rows.map(\.count).max() ?? 0
        var body = ""
        for (i, r) in rows.enumerated() {
            let y = 8 + Double(i) * rowHeight
            body += label(r.label, x: barStart - 8, y: y + 15, anchor: "end", size: 16)
            let w = most > 0 ? barLength * Double(max(r.count, 0)) / Double(most) : 0
            body += "<rect class=\"bar\" data-key=\"\(HTML.escape(r.key))\" data-count=\"\(r.count)\" x=\"\(n(barStart))\" y=\"\(n(y))\" "
                + "width=\"\(n(w))\" height=\"\(n(barHeight))\" fill=\"#1f56b3\"/>"
            body += label("\(r.count)\(unit)", x: barStart + w + 8, y: y + 15, anchor: "start", size: 16)
        }
        return svg(title: title, height: 16 + Double(rows.count) * rowHeight, body: body, cls: "counts")
    }

    /// One series of the monthly chart.
    public struct Series: Sendable {
        public var label: String, key: String, color: String
        public init(label: String, key: String, color: String) {
            self.label = label
            self.key = key
            self.color = color
        }
    }

    /// Grouped vertical bars: for each month, one bar per series (`values[month][series]`), with a y axis of counts,
    /// grid lines, the month labels under the groups and a legend above.
    /// A month may carry a mark drawn above its group (the next year's first month: `2026`).
    public static func grouped(months: [(label: String, mark: String?)], series: [Series], values: [[Int]], title: String) -> String {
        let left = 40.0, right = monthlyWidth - 8, top = 40.0, bottom = 250.0, height = 280.0
        let most = values.flatMap { $0 }.max() ?? 0
        let step = niceStep(most)
        let ceiling = max(step, ((most + step - 1) / step) * step)
        func y(_ v: Int) -> Double { bottom - (bottom - top) * Double(v) / Double(ceiling) }
        var body = ""
        for (i, s) in series.enumerated() {
            let x = left + Double(i) * 130
            body += "<rect x=\"\(n(x))\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(HTML.escape(s.color))\"/>"
            body += label(s.label, x: x + 18, y: 17, anchor: "start")
        }
        var tick = 0
        while tick <= ceiling {
            body += "<line class=\"grid\" x1=\"\(n(left))\" x2=\"\(n(right))\" y1=\"\(n(y(tick)))\" y2=\"\(n(y(tick)))\" stroke=\"#e3e5e8\"/>"
            body += label("\(tick)", x: left - 6, y: y(tick) + 4, anchor: "end")
            tick += step
        }
        body += "<line class=\"axis\" x1=\"\(n(left))\" x2=\"\(n(left))\" y1=\"\(n(top))\" y2=\"\(n(bottom))\" stroke=\"#666\"/>"
        body += "<line class=\"axis\" x1=\"\(n(left))\" x2=\"\(n(right))\" y1=\"\(n(bottom))\" y2=\"\(n(bottom))\" stroke=\"#666\"/>"
        let group = months.isEmpty ? 0 : (right - left) / Double(months.count)
        let bar = series.isEmpty ? 0 : group * 0.8 / Double(series.count)
        for (m, month) in months.enumerated() {
            let x0 = left + Double(m) * group + group * 0.1
            for (i, s) in series.enumerated() {
                let v = m < values.count && i < values[m].count ? max(values[m][i], 0) : 0
                guard v > 0 else { continue }
                body += "<rect class=\"bar\" data-month=\"\(m)\" data-key=\"\(HTML.escape(s.key))\" data-count=\"\(v)\" x=\"\(n(x0 + Double(i) * bar))\" "
                    + "y=\"\(n(y(v)))\" width=\"\(n(bar))\" height=\"\(n(bottom - y(v)))\" fill=\"\(HTML.escape(s.color))\"/>"
            }
            body += label(month.label, x: left + Double(m) * group + group / 2, y: bottom + 18, anchor: "middle", size: months.count > 12 ? 11 : 12)
            if let mark = month.mark {
                let x = left + Double(m) * group
                body += "<line class=\"year\" x1=\"\(n(x))\" x2=\"\(n(x))\" y1=\"\(n(top - 8))\" y2=\"\(n(bottom + 24))\" "
                    + "stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
                body += label(mark, x: x + 3, y: top - 10, anchor: "start", size: 12)
            }
        }
        return svg(title: title, width: monthlyWidth, height: height, body: body, cls: "monthly")
    }

    /// A step for the y axis: 1, 2 or 5 times a power of ten, so that about five grid lines cover `most`.
    static func niceStep(_ most: Int) -> Int {
        var step = 1
        while true {
            for k in [1, 2, 5] where most <= 5 * step * k { return step * k }
            step *= 10
        }
    }

    static func svg(title: String, width: Double = Charts.width, height: Double, body: String, cls: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart \(cls)\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\" "
            + "preserveAspectRatio=\"xMinYMin meet\" font-family=\"sans-serif\"><title>\(HTML.escape(title))</title>\(body)</svg>"
    }

    static func label(_ text: String, x: Double, y: Double, anchor: String, size: Int = 14) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"#222\">\(HTML.escape(text))</text>"
    }

    /// A coordinate with at most one decimal: short, and the same on every machine.
    static func n(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded()), whole = abs(tenths) / 10, frac = abs(tenths) % 10
        return (tenths < 0 ? "-" : "") + (frac == 0 ? "\(whole)" : "\(whole).\(frac)")
    }
}

extension Charts {
    /// A unit's last day in a table cell: its largest backlog per half hour as grey bars, the slowest answer as a red
    /// line (each scaled to its own largest value), with the totals in the title. Empty when it did not sync that day.
    public static func trend(_ buckets: [SyncTrend.Bucket?], english: Bool) -> String {
        let seen = buckets.compactMap { $0 }
        guard !seen.isEmpty else { return "" }
        let height = 24, slowest = max(1, seen.map(\.slowestMilliseconds).max() ?? 1), most = seen.map(\.backlog).max() ?? 0
        var bars = "", line = "", drawing = false
        for (i, b) in buckets.enumerated() {
            guard let b else { drawing = false; continue }
            let x = i * 2
            if b.backlog > 0, most > 0 { bars += "M\(x) \(height)V\(height - max(1, Int(22 * Double(b.backlog) / Double(most))))h2V\(height)z" }
            line += "\(drawing ? "L" : "M")\(x + 1) \(height - 1 - Int(21 * Double(b.slowestMilliseconds) / Double(slowest)))"
            drawing = true
        }
        let exchanges = seen.reduce(0) { $0 + $1.exchanges }
        let title = english
            ? "Last 24 hours: \(exchanges) exchanges, slowest answer \(slowest) ms, largest backlog \(most)"
            : "最近24小时：同步 \(exchanges) 次，最慢应答 \(slowest) 毫秒，待推送最多 \(most) 条"
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\" viewBox=\"0 0 \(2 * SyncTrend.bucketCount) \(height)\" width=\"96\" "
            + "height=\"24\" role=\"img\" data-exchanges=\"\(exchanges)\" data-slowest=\"\(slowest)\" data-backlog=\"\(most)\">"
            + "<title>\(HTML.escape(title))</title>"
            + (bars.isEmpty ? "" : "<path d=\"\(bars)\" fill=\"#b8c2d0\"/>")
            + "<path d=\"\(line)\" fill=\"none\" stroke=\"#a3211c\" stroke-width=\"1\"/></svg>"
    }
}
