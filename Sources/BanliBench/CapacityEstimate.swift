// The capacity estimate for a national deployment, computed from this run's measured costs so that its numbers stay
// true; the arithmetic is printed step by step into docs/performance.md.
import Foundation

/// The deployment the estimate sizes (issue 16): its assumptions, each stated in the text.
struct Deployment {
    var units = 500
    var syncInterval = 60.0
    /// The daemon holds long-polls of at most 30 s between syncs (SyncService.longPoll), so it renews one every 30 s.
    var longPoll = 30.0
    var itemsPerYear = 10_000.0
    /// Units that hold an item and pull each of its changes (a lead and two assisting units).
    var unitsPerItem = 3.0
    /// The hours the changes happen in: 250 working days of 8 hours, and the busiest hour at 10× the average.
    var workingSeconds = 250.0 * 8 * 3_600
    var peakFactor = 10.0
}

/// The estimate's Markdown section: for SQLite and (when measured) PostgreSQL, the load the deployment puts on the
/// hub, the cores, the held long-polls' memory and the database's growth, from the run's per-exchange and per-state costs.
func capacityEstimate(sqlite: BackendCosts, postgres: PostgresFacts?, statesPerItem: Double, deployment d: Deployment = Deployment()) -> String {
    var s = """
        ## Capacity estimate for a national deployment (computed by this run)

        Assumptions: \(d.units) units, each daemon syncing every \(fmt(d.syncInterval)) s and holding a long-poll between syncs
        (renewed every \(fmt(d.longPoll)) s); \(fmt(d.itemsPerYear)) items a year, each held by \(fmt(d.unitsPerItem)) units; the changes
        fall in 250 working days of 8 hours, the busiest hour at \(fmt(d.peakFactor))× the average. Costs are this run's: CPU-seconds of
        the hub side (the `banli hub serve` process, plus the PostgreSQL server's processes on PostgreSQL) per no-op exchange
        (figures 5 and 5p: CPU time over exchanges answered) and per field state served (figures 4 and 4p). The load generator
        and the bureau are not counted. The machine is shared and noisy (±20 % between runs), so read these as orders of magnitude.


        """
    guard statesPerItem > 0 else {
        return s + "Not computed: this run did not measure figure 4 (BANLI_BENCH_ONLY skipped it).\n"
    }
    let syncs = Double(d.units) / d.syncInterval
    let waits = Double(d.units) / d.longPoll
    let exchanges = syncs + waits
    let statesPerYear = d.itemsPerYear * statesPerItem
    let transfers = statesPerYear * (1 + d.unitsPerItem)
    let peakStates = transfers / d.workingSeconds * d.peakFactor
    s += """
        1. Exchanges: \(d.units) syncs / \(fmt(d.syncInterval)) s = \(fmt(syncs, 1))/s, plus long-polls renewed \(d.units) / \(fmt(d.longPoll)) s \
        = \(fmt(waits, 1))/s, each counted as a no-op exchange (an upper bound: a wait that times out reads nothing) = **\(fmt(exchanges, 1)) \
        exchanges/s**.
        2. Changes: \(fmt(d.itemsPerYear)) items × \(fmt(statesPerItem, 1)) field states per item (figure 4's items) = \(fmt(statesPerYear)) \
        states a year, each pushed once and pulled by \(fmt(d.unitsPerItem)) units = \(fmt(transfers)) states through the hub; over \
        \(fmt(d.workingSeconds)) working seconds that is \(fmt(transfers / d.workingSeconds, 3))/s, **\(fmt(peakStates, 2)) states/s** in the \
        busiest hour (a push is counted at the measured cost of a state served).

        """
    var rows: [(String, BackendCosts, String)] = [("SQLite", sqlite, "hub store file")]
    if let postgres { rows.append(("PostgreSQL", postgres.costs, "database (`pg_database_size`)")) }
    var step = 3
    var mostCores = 0.0
    for (name, c, storeName) in rows {
        guard let perExchange = c.cpuPerExchange, let perState = c.cpuPerState, let capacity = c.capacity else { continue }
        let cores = exchanges * perExchange + peakStates * perState
        mostCores = max(mostCores, cores)
        s += """
            \(step). Cores, \(name): \(fmt(exchanges, 1)) exchanges/s × \(fmt(perExchange * 1e6)) µs + \(fmt(peakStates, 2)) states/s × \
            \(fmt(perState * 1e6, 1)) µs = **\(fmt(cores, 4)) cores** in the busiest hour; the one process measured \(fmt(capacity))/s, \
            \(fmt(capacity / exchanges))× the \(fmt(exchanges, 1))/s needed. If all \(d.units) daemons start in the same second (a power cut \
            ends), their \(d.units) syncs take \(fmt(Double(d.units) / capacity, 2)) s of that capacity.

            """
        step += 1
        if let bytes = c.storeBytes, c.items > 0 {
            let perItem = Double(bytes) / Double(c.items)
            s += """
                \(step). Storage, \(name): the \(storeName) held \(fmt(Double(bytes) / 1_048_576)) MB for \(c.items) items = \
                \(fmt(perItem / 1024, 1)) KiB per item (field states, history and indexes) × \(fmt(d.itemsPerYear)) items = \
                **\(fmt(perItem * d.itemsPerYear / 1_048_576)) MB a year**, \(fmt(perItem * d.itemsPerYear * 10 / 1_073_741_824, 1)) GiB after \
                ten years.

                """
            step += 1
        }
    }
    if let postgres {
        let fieldsPerItem = Double(postgres.fieldRows) / Double(max(1, postgres.costs.items))
        let historyPerItem = Double(postgres.historyRows) / Double(max(1, postgres.costs.items))
        s += """
            \(step). Rows: the database held \(postgres.fieldRows) field rows and \(postgres.historyRows) history rows for \
            \(postgres.costs.items) items (\(fmt(fieldsPerItem, 1)) and \(fmt(historyPerItem, 1)) per item); \(fmt(d.itemsPerYear)) items a year \
            add **\(fmt(fieldsPerItem * d.itemsPerYear)) field rows and \(fmt(historyPerItem * d.itemsPerYear)) history rows a year** \
            (the bench's items were written once; every later change adds a history row and rewrites its field row).

            """
        step += 1
        if let waitKB = postgres.costs.waitKB, let rss = postgres.costs.hubRSSKB {
            let held = Double(d.units) * waitKB
            s += """
                \(step). Long-polls held: \(d.units) connections at all times (one per daemon; with two hub processes about half each). \
                Holding \(postgres.waitsHeld) of them raised the hub's RSS by \(fmt(waitKB, 1)) KB each, so \(d.units) take \
                **\(fmt(held / 1024, 1)) MB**, on top of the \(rss / 1024) MB the hub took at \(postgres.costs.items) items after /v1/status \
                (figure 7bp). They hold no database connection: a process keeps one `LISTEN` connection and a pool; the server's \
                \(postgres.serverProcesses) processes had a PSS of \(postgres.serverPssKB / 1024) MB (RSS summed: \
                \(postgres.serverRssKB / 1024) MB, which counts shared buffers once per process).

                """
            step += 1
        }
    }
    guard mostCores > 0 else { return s + "Cores not computed: this run did not measure figures 4 and 5 on a backend.\n" }
    s += """
        \(step). Conclusion: at most \(fmt(mostCores, 4)) cores (\(fmt(mostCores * 100, 2)) % of one) for exchanges and changes \
        in the busiest hour; the rest is \(d.units) held long-poll connections and a database growing by the figures above. \
        \(mostCores < 0.5 ? "One hub process on either store carries it; a second process on PostgreSQL is for failover, not for load."
            : "More than half a core: measure again on the target machine before sizing it.")

        """
    return wrapped(s)
}

/// Markdown wrapped at 120 characters; a numbered item's continuation lines are indented under its text.
func wrapped(_ text: String, width: Int = 120) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        guard line.count > width else { return String(line) }
        let indent = line.first?.isNumber == true ? "   " : ""
        var lines: [String] = []
        var current = ""
        for word in line.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = indent + word
            } else {
                current += (current.isEmpty ? "" : " ") + word
            }
        }
        return (lines + [current]).joined(separator: "\n")
    }.joined(separator: "\n")
}
