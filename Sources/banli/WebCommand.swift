import ArgumentParser
import BanliAccounts
import BanliCore
import BanliHubStorage
import BanliOps
import BanliStore
import BanliSync
import BanliWeb
import Foundation
import Logging

/// `banli web`: the 办理工作台 over this config's stores (a bureau's offices, or the hub's store).
struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web", abstract: "Run the 办理工作台 (web workbench) over this config's stores.",
        discussion: "At a bureau: banli web (reads /etc/banli/banli.toml). At the office: banli web --config /etc/banli/hub.toml.")

    @OptionGroup var options: AccountsOptions
    @Option(help: "HOST:PORT to listen on (default [web] listen, else 127.0.0.1:8490).") var listen: String?

    var global: GlobalOptions { options.global }

    static let defaultListen = "127.0.0.1:8490"

    func run() async throws {
        let config = try global.loadConfig()
        let listen = try self.listen.map { try ListenAddress(parsing: $0, option: "--listen") }
            ?? ListenAddress(parsing: config.web.listen ?? Self.defaultListen, option: "[web] listen")
        let tls = config.web.certFile.flatMap { cert in config.web.keyFile.map { ServerTLS(certFile: cert, keyFile: $0, clientCAFile: nil) } }
        if !listen.isLoopback, tls == nil, !config.web.behindProxy {
            throw BanliError(.config, "The workbench would listen on \(listen) in plain HTTP, so passwords would cross the network in clear text; "
                             + "set [web] cert_file and key_file, or listen on 127.0.0.1 behind a TLS proxy and set [web] behind_proxy = true in "
                             + "\(config.path ?? GlobalOptions.defaultConfigPath).")
        }
        let logger = try LogSetup.bootstrap(level: config.logLevel)
        let set = try global.openOffices()
        let offices = set.offices.map { WebOffice(key: $0.key, name: $0.name, store: $0.store) }
        let isHub = offices.first?.store.info.isHub ?? false
        let policy = SessionPolicy(idleSeconds: config.web.sessionIdleMinutes * 60, absoluteSeconds: config.web.sessionMaxHours * 3600)
        let accounts = try options.open(policy: policy)
        let global = self.global
        let today: @Sendable () throws -> ISODate = { try global.today() }
        var workspace = Workspace(offices: offices, deadlines: config.deadlines, today: today)
        if isHub, config.publicURL != nil || config.publicListen != nil { workspace.feedbackLinkBase = try config.feedbackLinkBase() }
        if !isHub {
            let stores = try set.offices.map { ($0.key, try $0.bureauStore()) }
            workspace.syncNow = { Self.syncNow(global: global, logger: logger) }
            workspace.syncState = {
                try stores.map { key, store in
                    let h = try store.syncHealth()
                    return SyncSummary(
                        office: key, lastAttemptAt: h.lastAttemptAt, lastSuccessAt: h.lastSuccessAt,
                        lastError: h.lastError.map { "\($0.chinese)（错误详情：\($0.detail)）" },
                        backlog: try store.backlog().count,
                        refused: try store.rejectedWrites().prefix(20).map { w in
                            // The clerk reads the field's label and what the refusal means; banli status keeps the hub's sentence.
                            let label = (try? EntityKey(parsing: w.entity)).flatMap { FieldCatalogue.spec($0.kind, w.field)?.label }
                            return SyncSummary.RefusedWrite(entity: w.entity, field: label ?? w.field, reason: w.kind?.chinese ?? w.reason,
                                                            atMilliseconds: w.atMilliseconds)
                        })
                }
            }
        }
        let settings = WebSettings(listen: listen, tls: tls, behindProxy: config.web.behindProxy, sessions: policy,
                                   statusPageURL: isHub ? (config.web.statusURL ?? "http://\(config.adminListen ?? "127.0.0.1:8481")/status") : nil,
                                   connections: config.connections)
        try await WebApp(workspace: workspace, accounts: accounts, settings: settings, logger: logger).run()
    }

    /// One sync with every office, as `banli sync` makes it: one sentence per office.
    static func syncNow(global: GlobalOptions, logger: Logger) -> [String] {
        do {
            return try SyncSetup.perOffice(global: global, options: SyncOptions.parse([]), logger: logger).map { office, setup in
                let prefix = office.map { "\($0)：" } ?? ""
                do {
                    let s = try setup.get()
                    do {
                        let r = try s.engine.syncOnce()
                        return prefix + "同步完成：上传 \(r.pushed) 项（\(r.rejected.count) 项被拒），收到 \(r.pulled) 项，新冲突 \(r.newConflicts.count) 个。"
                    } catch let e as BanliError {
                        try? s.store.recordSyncResult(error: SyncFailure(e))
                        throw e
                    }
                } catch let e as BanliError {
                    return prefix + "同步失败：\(SyncFailure(e).chinese)（\(e.message)）"
                } catch {
                    return prefix + "同步失败：\(error)"
                }
            }
        } catch let e as BanliError {
            return ["同步失败：\(e.message)"]
        } catch {
            return ["同步失败：\(error)"]
        }
    }
}
