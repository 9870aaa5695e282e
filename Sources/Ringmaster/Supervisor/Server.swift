// The supervisor: binds one listener per worker, spawns the worker threads, and drives the
// coordinated shutdown. Used by the `ringmaster` executable and by programs embedding it.
import CURing
import Glibc
import Logging
import Synchronization

/// A running Ringmaster server.
public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    /// Routes and Swift handlers built in code, served before the configured routes.
    public let router: Router
    let logger: Logger
    /// Started workers and the shutdown already requested, shared with signal handlers that
    /// may run while `start` is still adding workers.
    private let state = Mutex<(workers: [WorkerThread], requested: ShutdownPhase?)>(([], nil))
    /// The workers started so far.
    public var workers: [WorkerThread] { state.withLock { $0.workers } }
    /// The bound port (resolves port 0).
    public private(set) var port = 0
    /// The bound plain-HTTP port beside a TLS listener (`tls.plain_port`), or nil.
    public private(set) var plainPort: Int?
    /// This server's claim on its address (nil for port 0, `listen.shared`, or before start).
    public private(set) var portClaim: PortClaim?
    /// Duplicates of the workers' listeners (the same sockets), so a drain can take every
    /// listener out of the SO_REUSEPORT group at once, before any worker closes a connection.
    private let listenerSockets = Mutex<[Int32]>([])
    /// The active health check's verdicts, read by every worker, and the thread that probes
    /// (started when a proxy route has `health_check_path`).
    let upstreamProbes = UpstreamProbes()
    private let healthChecker = Mutex<HealthChecker?>(nil)

    /// A server for `configuration`. `router`'s routes are matched before the configured
    /// ones (or the built-in `/`, `/plaintext`, `/healthz`, `/metrics` when `routes` is not
    /// configured; set `configuredRoutes = []` to serve the router alone).
    public init(configuration: ServerConfiguration, router: Router = Router(), logger: Logger = Logger(label: "ringmaster")) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
    }

    /// The output and carry chunk size: the configuration's, grown to hold the router's
    /// largest fixed answer whole.
    public var chunkSize: Int {
        max(configuration.chunkSize, (router.largestBody + 1024 + 4095) / 4096 * 4096)
    }

    /// Binds, starts every worker and returns once all accept. Throws `ConfigurationError`
    /// when the CPU placement is impossible and `SetupError` when a listener or worker fails;
    /// either way, workers already started are stopped and joined first (no thread is left).
    public func start() throws {
        // Route numbers travel in one byte of the connection record.
        let routeCount = router.routes.count + configuration.routes.count
        guard routeCount <= RouteAnswer.maxRoutes else {
            throw ConfigurationError(key: "routes", "routes: \(router.routes.count) in code and \(configuration.routes.count) configured "
                                     + "make \(routeCount); at most \(RouteAnswer.maxRoutes) are allowed")
        }
        let allowed = try CPUSet.allowed()
        // Read as the starting user (a key file is often root's alone); shared by every worker.
        let tlsContext = configuration.tls.enabled ? try TLSContext(configuration.tls) : nil
        let cpus: [Int?]
        if configuration.pinWorkers {
            cpus = try CPUSet.placement(workers: configuration.workers, cpus: configuration.cpus, allowed: allowed)
        } else {
            cpus = Array(repeating: nil, count: configuration.workers ?? configuration.cpus?.count ?? allowed.count)
        }
        if configuration.steering == .cpu && !configuration.pinWorkers {
            throw ConfigurationError(key: "steering", "steering: \"cpu\" needs pinned workers (pin_workers = true)")
        }
        // Port 0 is a fresh ephemeral port every time: nobody else can hold it.
        if configuration.port != 0 && !configuration.listenShared {
            let (host, port, logger) = (configuration.host, configuration.port, logger)
            if configuration.takeover {
                portClaim = PortClaim.takeover(host: host, port: port) {
                    logger.notice("takeover: this process now owns \(host):\(port)", metadata: ["port": "\(port)"])
                }
            } else {
                portClaim = try PortClaim.exclusive(host: host, port: port)
            }
        }
        var listeners: [Int32] = []
        // The plain-HTTP port beside a TLS listener (tls.plain_port): one more listener per
        // worker, in its own SO_REUSEPORT group (docs/tls.md).
        var plainListeners: [Int32] = []
        do {
            (listeners, port) = try Listener.openGroup(count: cpus.count, host: configuration.host, port: configuration.port,
                                                       backlog: configuration.backlog, noDelay: configuration.tcpNoDelay)
            if let plain = configuration.tls.plainPort, configuration.tls.enabled {
                (plainListeners, plainPort) = try Listener.openGroup(count: cpus.count, host: configuration.host, port: plain,
                                                                     backlog: configuration.backlog, noDelay: configuration.tcpNoDelay)
            }
            if configuration.steering == .cpu { try ReuseportSteering.attach(to: listeners[0], cpus: cpus.compactMap { $0 }) }
        } catch {
            (listeners + plainListeners).forEach { close($0) }
            portClaim?.release()
            throw error
        }
        listenerSockets.withLock { $0 = (listeners + plainListeners).map { dup($0) }.filter { $0 >= 0 } }
        // Opened once here, as the starting user; every worker gets its own duplicate.
        var accessLogFD: Int32 = -1
        if let path = configuration.accessLogPath {
            do { accessLogFD = try AccessLogFile.open(path: path) } catch {
                (listeners + plainListeners).forEach { close($0) }
                throw error
            }
        }
        defer { if accessLogFD >= 0 { close(accessLogFD) } }
        let numa = configuration.numa == .auto
        // Created up front so every worker can read all of them for /metrics.
        let statistics = listeners.map { _ in WorkerStatistics() }
        for (i, block) in statistics.enumerated() {
            block.workerIndex = i
            block.recordsDurations = configuration.recordRequestDurations
            block.cycleScale = configuration.recordRequestDurations ? CycleClock.scale : 0
            block.labelsWorkers = configuration.metricsWorkerLabel
        }
        for (i, fd) in listeners.enumerated() {
            let cpu = cpus[i]
            let node = numa ? cpu.flatMap { NumaTopology.node(ofCPU: $0) } : nil
            let worker: WorkerThread
            var settings = configuration.workerConfiguration(index: i, listenerFD: fd, cpu: cpu, numaNode: node)
            settings.upstreamProbes = upstreamProbes
            if !plainListeners.isEmpty {
                settings.plainListenerFD = plainListeners[i]
                settings.httpsPort = port
            }
            do {
                settings.allStatistics = statistics
                settings.logger = logger
                if accessLogFD >= 0 { settings.accessLogFD = try AccessLogFile.duplicate(accessLogFD) }
                // From start() on, the thread owns the listener and the log descriptor.
                settings.router = router
                settings.chunkSize = chunkSize
                settings.tls = tlsContext
                worker = try WorkerThread(configuration: settings, statistics: statistics[i])
            } catch {
                if settings.accessLogFD >= 0 { close(settings.accessLogFD) }
                listeners[i...].forEach { close($0) }
                if !plainListeners.isEmpty { plainListeners[i...].forEach { close($0) } }
                stop(force: true)
                wait()
                throw error
            }
            do {
                try worker.start()
            } catch {
                listeners[(i + 1)...].forEach { close($0) }
                if !plainListeners.isEmpty { plainListeners[(i + 1)...].forEach { close($0) } }
                stop(force: true)
                wait()
                throw error
            }
            state.withLock { state in
                state.workers.append(worker)
                // A signal that arrived during startup applies to late workers too.
                if let phase = state.requested { worker.control.request(phase) }
            }
            let placement: Logger.Metadata = ["worker": "\(i)", "cpu": cpu.map { "\($0)" } ?? "any", "node": node.map { "\($0)" } ?? "none"]
            logger.info("\(worker.summary)", metadata: placement)
            if configuration.hugePages == .auto && !worker.usesHugePages {
                logger.notice("worker \(i): no huge pages available (reserve some with vm.nr_hugepages): receive buffers use normal pages",
                              metadata: placement)
            }
        }
        updateHealthChecks(routes: router.routes + configuration.routes)
    }

    /// Probes the upstreams of `routes` that ask for an active health check (the routes
    /// every worker holds: at start, and after a reload), starting the checker the first
    /// time one does.
    func updateHealthChecks(routes: [StaticRoute]) {
        let checked = !HealthChecker.targets(routes: routes).isEmpty
        healthChecker.withLock { checker in
            if checker == nil && checked {
                checker = HealthChecker(probes: upstreamProbes, logger: logger)
                checker?.start()
            }
            checker?.update(routes: routes)
        }
    }

    /// Starts a graceful drain (or a forced close) on every worker at once.
    ///
    /// Every listener is shut down here, after the workers are woken, rather than by each worker
    /// when it gets to it: a worker closes its idle keep-alive connections as soon as it drains,
    /// and a client reconnecting at once must not land in the accept queue of a sibling
    /// worker's listener that is about to close (a reset). With all of them out of the group,
    /// new connections reach only the process taking over (`--replace`) or are refused.
    public func stop(force: Bool = false) {
        let phase: ShutdownPhase = force ? .forced : .draining
        state.withLock { state in
            if (state.requested?.rawValue ?? 0) < phase.rawValue { state.requested = phase }
            for worker in state.workers { worker.control.request(phase) }
        }
        listenerSockets.withLock { sockets in
            for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Joins every worker and releases the port claim; returns the worst exit: forced over
    /// timed out over drained.
    @discardableResult
    public func wait() -> WorkerExit {
        var result = WorkerExit.drained
        for worker in workers {
            worker.join()
            switch worker.exitReason {
            case .forced: result = .forced
            case .timedOut: if result == .drained { result = .timedOut }
            case .drained: break
            }
        }
        // The workers are gone: nothing reads the health verdicts any more. Taken out under
        // the lock, joined outside it (a probe in progress may take its timeout).
        let checker = healthChecker.withLock { checker in
            defer { checker = nil }
            return checker
        }
        checker?.stop()
        // Every listener is closed: the address is free for the next owner.
        listenerSockets.withLock { sockets in
            sockets.forEach { close($0) }
            sockets = []
        }
        portClaim?.release()
        return result
    }

    /// Opens the access log's path again and hands every worker the new file, which it
    /// switches to for its next write (SIGHUP after logrotate renamed the file; what the
    /// process runner calls). Does nothing when the access log is off. On failure the workers
    /// keep the file they have.
    public func reopenAccessLog() throws(SetupError) {
        guard let path = configuration.accessLogPath else { return }
        let fd = try AccessLogFile.open(path: path)
        defer { close(fd) }
        for worker in workers {
            worker.control.reopenAccessLog(fd: try AccessLogFile.duplicate(fd))
        }
    }

    /// Sum of one counter over the workers.
    public func total(_ counter: WorkerCounter) -> UInt64 {
        workers.reduce(0) { $0 + $1.statistics.value(counter) }
    }
}
