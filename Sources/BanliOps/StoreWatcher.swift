import Dispatch
import Foundation

/// Signals when a store's files change: inotify on the store's folder, for the store and its WAL file. A clerk's
/// `banli item set` runs in another process, so the daemon learns of it from the kernel instead of polling the store.
public final class StoreWatcher: @unchecked Sendable {  // the source is set once and only cancelled in deinit
    private let source: any DispatchSourceRead

    /// Starts watching `storePath`; each change signals `signal`. Nil when inotify is unavailable (the caller falls back to
    /// a slower check).
    public init?(storePath: String, signal: ChangeSignal) {
        let url = URL(fileURLWithPath: storePath)
        let folder = url.deletingLastPathComponent().path, name = url.lastPathComponent
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        guard inotify_add_watch(fd, folder, UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)) >= 0 else {
            close(fd)
            return nil
        }
        let watched: Set<String> = [name, name + "-wal"]
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: DispatchQueue(label: "banli.store-watcher"))
        source.setEventHandler {
            if Self.drain(fd).contains(where: watched.contains) { signal.signal() }
        }
        source.setCancelHandler { close(fd) }
        source.resume()
    }

    deinit { source.cancel() }

    /// The names of the files the pending events are about.
    private static func drain(_ fd: Int32) -> [String] {
        var names: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return names }
            var offset = 0
            buffer.withUnsafeBytes { raw in
                while offset + MemoryLayout<inotify_event>.size <= n {
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let start = offset + MemoryLayout<inotify_event>.size
                    let bytes = raw[start..<min(start + length, n)].prefix { $0 != 0 }
                    names.append(String(decoding: bytes, as: UTF8.self))
                    offset = start + length
                }
            }
        }
    }
}
