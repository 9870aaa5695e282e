// Running the server as the process: signals are blocked before any worker exists, then
// Dispatch signal sources on a serial queue drive the shutdown and SIGHUP reloads while the
// main thread parks in dispatchMain() (DESIGN.md, "Threads" and "Shutdown"). After the
// listeners are bound and every worker accepts, privileges are dropped to the configured user.
import CURing
import Dispatch
import Glibc
import Logging

/// Process exit codes.
public enum ExitCode {
    public static let success: Int32 = 0
    public static let startupFailure: Int32 = 1
    public static let configurationError: Int32 = 2
    /// A second SIGTERM/SIGINT, or SIGQUIT, cut the drain short.
    public static let forced: Int32 = 3
    /// `shutdown_timeout_ms` passed with connections still open.
    public static let drainTimedOut: Int32 = 4
}

/// Runs a server until a signal stops it, then exits the process.
public enum ProcessRunner {
    /// Kept alive for the life of the process; touched only on the main thread.
    nonisolated(unsafe) static var signalSources: [DispatchSourceSignal] = []

    /// Runs `configuration` (and `router`'s routes and handlers) as given, with no sources to
    /// reload from: SIGHUP then compares against the defaults, so embedders that want reload
    /// should use `run(_:router:logger:)`.
    public static func run(configuration: ServerConfiguration, router: Router = Router(), logger: Logger) -> Never {
        let entries = ConfigurationKey.all.map { LoadedConfiguration.Entry(key: $0.name, value: $0.render(configuration), source: .defaultValue) }
        let loaded = LoadedConfiguration(configuration: configuration, entries: entries, sources: ConfigurationSources(), account: nil)
        run(loaded, router: router, logger: logger)
    }

    /// Runs a loaded configuration with `router`; SIGHUP reloads from its sources.
    public static func run(_ loaded: LoadedConfiguration, router: Router = Router(), logger: Logger) -> Never {
        let configuration = loaded.configuration
        if let pid = configuration.replaceProcess, let problem = Replacement.check(pid: pid) {
            logger.critical("--replace \(pid): \(problem)", metadata: ["pid": "\(pid)"])
            Glibc.exit(ExitCode.startupFailure)
        }
        // Before any thread exists, so every worker inherits the mask and only the signal
        // sources (signalfd-based in Dispatch on Linux) see these signals (STYLE.md fact 5).
        _ = curing_block_shutdown_signals()
        let server = Server(configuration: configuration, router: router, logger: logger)
        let reload = ConfigurationReload(current: loaded, server: server, logger: logger)
        // Handlers are registered (sigaction installed) before any worker starts and before
        // READY=1, so a SIGTERM at any moment after startup begins is handled, never fatal.
        signalSources = installSignalSources(server: server, reload: reload, logger: logger)
        logger.info("\(loaded.summary)")
        do { try server.start() } catch let error as ConfigurationError {
            for problem in error.all { logger.critical("configuration error: \(problem.description)", metadata: ["key": "\(problem.key)"]) }
            Glibc.exit(ExitCode.configurationError)
        } catch {
            logger.critical("\(error)")
            Glibc.exit(ExitCode.startupFailure)
        }
        // The listeners are bound and every worker accepts on them: root is no longer needed.
        guard PrivilegeDrop.run(account: loaded.account, logger: logger) else {
            server.stop(force: true)
            server.wait()
            Glibc.exit(ExitCode.startupFailure)
        }
        let scheme = configuration.tls.enabled ? " (https)" : ""
        let plain = server.plainPort.map { ", plain HTTP on \(configuration.host):\($0) (\(configuration.tls.plainAnswer.rawValue))" } ?? ""
        logger.info("listening on \(configuration.host):\(server.port)\(scheme)\(plain) with \(server.workers.count) worker(s), steering \(configuration.steering.rawValue)",
                    metadata: ["host": "\(configuration.host)", "port": "\(server.port)", "workers": "\(server.workers.count)",
                               "steering": "\(configuration.steering.rawValue)", "takeover": "\(configuration.takeover)", "pid": "\(getpid())"])
        // Every worker accepts now: tell systemd (Type=notify) we are ready.
        SystemdNotifier.notify("READY=1\nMAINPID=\(getpid())")
        if let pid = configuration.replaceProcess {
            // The old process holds the address's claim until it exits; if this one got the
            // claim at start, the PID serves another address and must not be stopped.
            if server.portClaim?.held == true {
                logger.error("--replace \(pid): that process does not hold \(configuration.host):\(server.port); not signalled",
                             metadata: ["pid": "\(pid)"])
            } else {
                Replacement.stop(pid: pid, logger: logger)
            }
        }
        DispatchQueue.global().async {
            let result = server.wait()
            switch result {
            case .drained:
                logger.info("drained; exiting")
                Glibc.exit(ExitCode.success)
            case .forced:
                logger.warning("forced shutdown; exiting")
                Glibc.exit(ExitCode.forced)
            case .timedOut:
                logger.warning("drain timed out after \(configuration.shutdownTimeoutMilliseconds) ms; exiting")
                Glibc.exit(ExitCode.drainTimedOut)
            }
        }
        dispatchMain()
    }

    /// The serial queue every signal handler runs on.
    static let signalQueue = DispatchQueue(label: "ringmaster.signals")

    /// SIGTERM/SIGINT: first drains, second forces. SIGQUIT forces. SIGHUP reloads.
    /// Returns once every source is registered with the kernel.
    static func installSignalSources(server: Server, reload: ConfigurationReload, logger: Logger) -> [DispatchSourceSignal] {
        nonisolated(unsafe) var stopRequests = 0
        var sources: [DispatchSourceSignal] = []
        let registered = DispatchSemaphore(value: 0)
        for signalNumber in [SIGTERM, SIGINT, SIGQUIT, SIGHUP] {
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: signalQueue)
            source.setRegistrationHandler { registered.signal() }
            source.setEventHandler {
                switch signalNumber {
                case SIGHUP:
                    reload.handle()
                case SIGQUIT:
                    logger.warning("SIGQUIT: closing every connection now")
                    SystemdNotifier.notify("STOPPING=1")
                    server.stop(force: true)
                default:
                    stopRequests += 1
                    if stopRequests == 1 {
                        logger.notice("signal \(signalNumber): draining (send it again to force)", metadata: ["signal": "\(signalNumber)"])
                        SystemdNotifier.notify("STOPPING=1")
                        server.stop(force: false)
                    } else {
                        logger.warning("signal \(signalNumber) again: closing every connection now", metadata: ["signal": "\(signalNumber)"])
                        server.stop(force: true)
                    }
                }
            }
            source.resume()
            sources.append(source)
        }
        for _ in sources { registered.wait() }
        return sources
    }
}
