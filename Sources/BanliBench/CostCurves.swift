// Cost curves (issue 19): each cost at three sizes a decade apart, and how it grows between them. The growth exponent
// of two points is log(cost ratio) / log(size ratio): 0 is constant, 1 linear, 2 quadratic.
import BanliCore
import BanliStore
import BanliSync
import Foundation

struct CurvePoint {
    var size: Int
    var cost: Double
}

struct CostCurve {
    var name: String
    var sizeUnit: String
    /// The cost as the table shows it, e.g. "1.84 s".
    var format: (Double) -> String
    /// The cost per unit of work, e.g. "14.2 µs per state", given the point and the one before it; nil where a
    /// per-unit cost means nothing (a constant).
    var perUnit: ((CurvePoint, CurvePoint?) -> String)?
    var points: [CurvePoint]

    static func exponent(_ a: CurvePoint, _ b: CurvePoint) -> Double {
        log(b.cost / a.cost) / log(Double(b.size) / Double(a.size))
    }

    static func shape(_ e: Double) -> String {
        switch e {
        case ..<0.2: "constant"
        case ..<0.8: "sublinear"
        case ...1.2: "linear"
        default: "**worse than linear**"
        }
    }

    var markdown: String {
        var out = ""
        for (i, p) in points.enumerated() {
            let growth = i == 0 ? "—" : fmt(Self.exponent(points[i - 1], p), 2)
            let whole = Self.exponent(points[0], p)
            let shows = i == points.count - 1 ? "\(Self.shape(whole)) (\(fmt(whole, 2)) over the range)" : ""
            let per = perUnit?(p, i == 0 ? nil : points[i - 1]) ?? "—"
            out += "| \(i == 0 ? name : "") | \(p.size.formatted()) \(sizeUnit) | \(format(p.cost)) | \(per) | \(growth) | \(shows) |\n"
        }
        return out
    }
}

/// Apply time into a new store at `sizes` states, in batches of 2,000 items (26,000 states) as a hub's bulk load does;
/// only the apply calls are timed, not making the states.
func applyCurve(sizes: [Int], dir: String) throws -> CostCurve {
    var points: [CurvePoint] = []
    for size in sizes {
        let items = max(1, size / 13)
        let store = try Store.create(at: dir + "/curve-apply-\(size).db", site: "jxj", name: "x", hubSite: "hub", isHub: false)
        var t = 0.0, applied = 0
        for start in stride(from: 0, to: items, by: 2_000) {
            let batch = states(items: start..<min(items, start + 2_000), site: { _ in "jxj" }, startCounter: base + UInt64(start) * 20)
            applied += batch.count
            t += try seconds { _ = try store.apply(batch, via: "bench") }
        }
        points.append(CurvePoint(size: applied, cost: t))
        log("cost curve: apply of \(applied) states \(fmt(t, 2)) s")
    }
    return CostCurve(name: "Apply into a new store (`Store.apply`, batches of 26,000 states)", sizeUnit: "states", format: { "\(fmt($0, 2)) s" },
                     perUnit: { p, _ in "\(fmt(p.cost / Double(p.size) * 1e6, 1)) µs per state" }, points: points)
}

/// What one hub of the curves measured.
struct HubPoint {
    var items: Int
    var syncStates: Int
    var syncSeconds: Double
    var noopP50: Double
    var rssKB: Int
}

/// A hub of `units` units and `items` items, a fifth of them held by u0 as in figures 3–8's hub; measured as figures 4
/// and 3 measure that hub: u0's initial sync (median of 3, a fresh store each), then u1's no-op exchanges; then the
/// hub's RSS.
func measureCurveHub(items: Int, units: Int, dir: String) throws -> HubPoint {
    let path = dir + "/curve-hub-\(items).db"
    let (_, tokens) = try makeHubStore(at: path, units: units, unitZeroItems: items / 5, otherItems: items - items / 5)
    let hub = try Hub(store: path)
    defer { hub.stop() }
    var syncs: [(t: Double, pulled: Int)] = []
    for round in 0..<3 {
        let bureau = try Store.create(at: dir + "/curve-u0-\(items)-\(round).db", site: "u0", name: "x", hubSite: "hub", isHub: false)
        let engine = SyncEngine(store: bureau, transport: CurlTransport(baseURL: hub.url, token: tokens[0]), limit: 2_000)
        var pulled = 0
        let t = try seconds { pulled = try engine.syncOnce().pulled }
        syncs.append((t, pulled))
    }
    let sync = syncs.sorted { $0.t < $1.t }[1]
    let noop = try measureNoop(hub: hub, token: tokens[1], storePath: dir + "/curve-u1-\(items).db")
    let point = HubPoint(items: items, syncStates: sync.pulled, syncSeconds: sync.t, noopP50: noop.p50, rssKB: rssKB(hub.process.processIdentifier))
    log("cost curve: hub of \(items) items: initial sync \(sync.pulled) states \(fmt(sync.t, 2)) s, no-op p50 \(fmt(noop.p50 * 1000, 2)) ms, "
        + "RSS \(point.rssKB) KB")
    return point
}

/// The three hub curves from hubs measured alike (the largest is figures 3–8's own hub).
func hubCurves(_ hubs: [HubPoint]) -> [CostCurve] {
    [
        CostCurve(name: "No-op exchange latency, p50 (figure 3's measure)", sizeUnit: "items at the hub", format: { "\(fmt($0 * 1000, 2)) ms" },
                  perUnit: nil, points: hubs.map { CurvePoint(size: $0.items, cost: $0.noopP50) }),
        CostCurve(name: "Hub memory (RSS) after the initial syncs and no-op exchanges", sizeUnit: "items at the hub",
                  format: { "\(fmt($0 / 1024, 1)) MB" }, perUnit: { p, before in
                      // The marginal cost: the process's fixed part (code, runtime, pools) is in every point.
                      before.map { "\(fmt((p.cost - $0.cost) * 1024 / Double(p.size - $0.size), 0)) bytes per added item" } ?? "—"
                  },
                  points: hubs.map { CurvePoint(size: $0.items, cost: Double($0.rssKB)) }),
        CostCurve(name: "Initial sync of a new bureau over HTTP (figure 4's measure, median of 3)", sizeUnit: "states", format: { "\(fmt($0, 2)) s" },
                  perUnit: { p, _ in "\(fmt(p.cost / Double(p.size) * 1e6, 1)) µs per state" },
                  points: hubs.map { CurvePoint(size: $0.syncStates, cost: $0.syncSeconds) }),
    ]
}

func costCurvesMarkdown(_ curves: [CostCurve]) -> String {
    var md = """
        ## Cost curves

        Each cost at three sizes a decade apart, measured by this run. Growth is the exponent between a size and the one
        before it, log(cost ratio) / log(size ratio): 0 is constant, 1 linear, 2 quadratic; the last column names the shape
        over the whole range.

        | cost | size | measured | per unit of work | growth | shows |
        |---|---|---|---|---|---|

        """
    for c in curves { md += c.markdown }
    return md
}
