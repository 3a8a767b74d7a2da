// Figure 1b: `banli apply FILE` (the offline exchange, as an office runs it) against a Python script that parses the same
// lines with `json` and upserts them with `sqlite3`, both C underneath. Whole processes, start-up included, on both sides.
import BanliCore
import BanliProtocol
import BanliStore
import Foundation

/// A script in Benchmarks/peers, found from this source file (the bench runs from the project's folder).
func peerScript(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks/peers/\(name)").path
}

/// Three paired rounds (a fresh store and a fresh database each); the round with the median ratio is reported.
func applyFileFigure(_ fields: [ReplicatedField], dir: String, python: String) throws -> Figure {
    let lines = dir + "/apply-lines.jsonl"
    var text = ""
    for f in fields { text += f.jsonLine(hubSite: "hub") + "\n" }
    try text.write(toFile: lines, atomically: true, encoding: .utf8)
    var rounds: [(banli: Double, script: Double)] = []
    for round in 0..<3 {
        let store = dir + "/apply-cli\(round).db"
        _ = try Store.create(at: store, site: "jxj", name: "x", hubSite: "hub", isHub: false)
        let tb = try seconds { try runBanli(["apply", "--store", store, lines]) }
        let ts = try seconds { try runTool(python, [peerScript("apply_lines.py"), lines, dir + "/apply-py\(round).db"]) }
        rounds.append((tb, ts))
        log("banli apply FILE round \(round): \(fmt(tb, 2)) s vs the Python script \(fmt(ts, 2)) s")
    }
    let r = rounds.sorted { $0.script / $0.banli < $1.script / $1.banli }[1]
    let n = Double(fields.count)
    return Figure(name: "1b. `banli apply FILE`, \(fields.count) FieldState lines (\(text.utf8.count / 1024) KiB), whole process",
                  value: "\(fmt(r.banli, 2)) s (\(fmt(n / r.banli)) states/s)",
                  baseline: "Python script, `json` + `sqlite3` upsert: \(fmt(r.script, 2)) s (\(fmt(n / r.script)) lines/s)",
                  ratio: fmt(r.script / r.banli, 2), target: "faster than the script (> 1)", met: r.script / r.banli > 1)
}
