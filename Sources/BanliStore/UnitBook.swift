import Synchronization

/// Hub: the bookkeeping of exchanges that pushed nothing, held in memory and written to
/// `unit_status` by `Store.flushUnitBook()` (the hub does so every second and when it stops).
///
/// A no-op exchange then needs no durable transaction. Losing this in a crash is safe: a lagging
/// push mark makes the unit push again, a lagging sent cursor makes it resync, and the monitoring
/// timestamps are a second old at worst. Exchanges that push keep writing in their own transaction.
final class UnitBook: Sendable {
    struct Entry: Sendable {
        var pushMark: Int64
        var lastExchange: Int64
        var sentCursor: Int64
        var at: Int64
        var backlog: Int
        var clockOffsetMs: Int64?
        var clientVersion: String?
        var storeId: String?
        /// Orders entries, so a durable exchange only drops what it has superseded.
        var stamp: UInt64 = 0
    }

    private let state = Mutex<(entries: [String: Entry], stamp: UInt64)>(([:], 0))

    /// The newest unwritten entry of `unit`.
    func entry(_ unit: String) -> Entry? {
        state.withLock { $0.entries[unit] }
    }

    /// Records a quiet exchange of `unit`.
    func record(_ unit: String, _ entry: Entry) {
        state.withLock { s in
            s.stamp += 1
            var e = entry
            e.stamp = s.stamp
            if let old = s.entries[unit] { e.sentCursor = max(e.sentCursor, old.sentCursor) }
            s.entries[unit] = e
        }
    }

    /// Forgets `unit`'s entry if it is no newer than `stamp` (a durable write has covered it).
    func drop(_ unit: String, through stamp: UInt64) {
        state.withLock { s in
            if let e = s.entries[unit], e.stamp <= stamp { s.entries[unit] = nil }
        }
    }

    /// Every unwritten entry (for the flush, and for monitoring).
    var all: [String: Entry] {
        state.withLock { $0.entries }
    }
}
