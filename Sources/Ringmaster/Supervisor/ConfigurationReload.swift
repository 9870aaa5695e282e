// SIGHUP: load the configuration again from the same sources (the file re-read, the
// environment captured at start, the original flags) and validate it. A change of hot keys
// only is handed to every worker, which applies it between events without dropping a
// connection; anything else is logged by name and the running configuration stays.
import Glibc
import Logging

/// What a reload would change.
public struct ReloadPlan: Sendable, Equatable {
    /// Every key whose value differs.
    public var changed: [String]
    /// The changed keys a running server cannot take.
    public var needsRestart: [String]

    /// Compares `new` with the running `old`; `chunkSize` is what the workers were started
    /// with (by default `old`'s).
    public init(old: LoadedConfiguration, new: LoadedConfiguration, chunkSize: Int? = nil) {
        changed = new.changedKeys(from: old)
        var restart = changed.filter { ConfigurationKey.named($0)?.hot != true }
        // A worker's carry and output chunks were sized at start from the head limit and the
        // largest body; bigger ones than that need new chunks, so a restart.
        // A plain listener has no TLS sessions to use, and a TLS one's clients speak nothing else.
        if new.configuration.tls.enabled != old.configuration.tls.enabled { restart.append("tls.certificate") }
        if new.configuration.chunkSize > chunkSize ?? old.configuration.chunkSize {
            restart += changed.filter { ["limits.header_bytes", "plaintext_body", "routes"].contains($0) }
        }
        needsRestart = ConfigurationKey.all.map(\.name).filter(restart.contains)
    }
}

/// The running configuration and its SIGHUP handler (used on the signal queue only).
final class ConfigurationReload: @unchecked Sendable {
    private(set) var current: LoadedConfiguration
    /// The chunk size the workers were built with; hot reloads never change it.
    private let startChunkSize: Int
    private let server: Server
    private let logger: Logger

    init(current: LoadedConfiguration, server: Server, logger: Logger) {
        self.current = current
        self.startChunkSize = server.chunkSize
        self.server = server
        self.logger = logger
    }

    /// Reopens the access log, then reloads, applies or refuses, and logs which.
    func handle() {
        // systemd's reload protocol (Type=notify-reload, systemd 253+): RELOADING=1 with the
        // monotonic time, then READY=1 when done, applied or not (STATUS= says which).
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds: Int = Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1000
        SystemdNotifier.notify("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
        reopenAccessLog()
        let new: LoadedConfiguration
        do {
            new = try ConfigurationLoader.load(current.sources)
        } catch {
            for problem in error.all {
                logger.error("SIGHUP: configuration error: \(problem.description); keeping the running configuration", metadata: ["key": "\(problem.key)"])
            }
            SystemdNotifier.notify("READY=1\nSTATUS=reload failed: \(error.all.count) configuration error(s); running configuration kept")
            return
        }
        let plan = ReloadPlan(old: current, new: new, chunkSize: startChunkSize)
        // Certificates renew on disk with the configuration unchanged: every SIGHUP re-reads them.
        var certificates: TLSContext?
        if new.configuration.tls.enabled && plan.needsRestart.isEmpty {
            do { certificates = try TLSContext(new.configuration.tls) } catch {
                logger.error("SIGHUP: \(error.description); keeping the running certificates and configuration", metadata: ["key": "\(error.key)"])
                SystemdNotifier.notify("READY=1\nSTATUS=reload failed: \(error.key); running configuration kept")
                return
            }
        }
        if plan.changed.isEmpty, let certificates {
            var settings = current.configuration.hotSettings
            settings.tls = certificates
            server.workers.forEach { $0.control.reload(settings) }
            logger.notice("SIGHUP: configuration unchanged; certificates re-read")
            SystemdNotifier.notify("READY=1\nSTATUS=reload: certificates re-read")
            return
        }
        if plan.changed.isEmpty {
            logger.notice("SIGHUP: configuration unchanged")
            SystemdNotifier.notify("READY=1\nSTATUS=reload: configuration unchanged")
            return
        }
        if !plan.needsRestart.isEmpty {
            logger.warning("SIGHUP: restart needed to change \(plan.needsRestart.joined(separator: ", ")); keeping the running configuration (changed: \(plan.changed.joined(separator: ", ")))",
                           metadata: ["keys": .array(plan.needsRestart.map { .string($0) })])
            SystemdNotifier.notify("READY=1\nSTATUS=reload refused: restart needed to change \(plan.needsRestart.joined(separator: ", "))")
            return
        }
        let routeCount = server.router.routes.count + new.configuration.routes.count
        if routeCount > RouteAnswer.maxRoutes {
            let counts = "\(new.configuration.routes.count) configured routes and \(server.router.routes.count) in code"
            logger.error("SIGHUP: \(counts) exceed \(RouteAnswer.maxRoutes); keeping the running configuration")
            SystemdNotifier.notify("READY=1\nSTATUS=reload refused: too many routes")
            return
        }
        var settings = new.configuration.hotSettings
        settings.tls = certificates
        server.workers.forEach { $0.control.reload(settings) }
        server.updateHealthChecks(routes: server.router.routes + settings.routes)
        LogOutput.shared.update(level: new.configuration.logLevel, format: new.configuration.logFormat)
        current = new
        // Whole values: a long one (routes) is the last thing on the line, never cut mid-text.
        logger.notice("SIGHUP: applied \(plan.changed.map { "\($0) = \(new.value(of: $0) ?? "?")" }.joined(separator: ", "))",
                      metadata: ["keys": .array(plan.changed.map { .string($0) })])
        SystemdNotifier.notify("READY=1\nSTATUS=reload applied: \(plan.changed.joined(separator: ", "))")
    }

    /// Log rotation: every SIGHUP reopens the running access log path, whatever the reload
    /// decides (logrotate's postrotate sends one with the configuration unchanged).
    private func reopenAccessLog() {
        guard let path = server.configuration.accessLogPath else { return }
        do {
            try server.reopenAccessLog()
            logger.notice("SIGHUP: reopened the access log \(path)", metadata: ["path": "\(path)"])
        } catch {
            logger.error("SIGHUP: cannot reopen the access log: \(error); writing on to the file already open")
        }
    }
}
