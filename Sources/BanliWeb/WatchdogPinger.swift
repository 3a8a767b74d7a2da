import BanliOps
import ServiceLifecycle

/// Pings systemd's watchdog while the workbench can still read its stores: a hung store (or a wedged process) stops the
/// pings and systemd restarts the service.
struct WatchdogPinger: Service {
    let workspace: Workspace
    let notifier: SystemdNotifier

    func run() async throws {
        // Without a watchdog it waits for shutdown: a service group counts a service that returns early as failed.
        guard let interval = notifier.watchdogInterval else { return try await gracefulShutdown() }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let workspace = self.workspace
            // One small read of each store: it answers, or the pings stop.
            let healthy = (try? await offload { () -> Bool in
                for office in workspace.offices { _ = try office.store.setting("web.watchdog") }
                return true
            }) ?? false
            if healthy { notifier.watchdog() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int(interval * 1000))) }
        }
    }
}
