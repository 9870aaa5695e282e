// The typed configuration of a server: what the supervisor and each worker are built from.
// Loaded and validated by `ConfigurationLoader`; defaults here are the documented defaults.
import Logging
import RingmasterHTTP

/// `numa` values.
public enum NumaPolicy: String, Sendable, CaseIterable {
    /// Bind worker memory to the worker CPU's node when libnuma reports NUMA; else first touch.
    case auto
    /// First-touch placement only.
    case off
}

/// `steering` values.
public enum Steering: String, Sendable, CaseIterable {
    /// The kernel's reuseport hash spreads connections.
    case none
    /// A CBPF program picks the worker on the CPU that received the connection.
    case cpu
}

/// The whole configuration of one Ringmaster process.
public struct ServerConfiguration: Sendable, Equatable {
    /// Listen address; port 0 picks an ephemeral port (tests).
    public var host = "127.0.0.1"
    public var port = 8080
    public var backlog = 4096
    /// Worker threads; nil means one per allowed CPU ("auto").
    public var workers: Int? = nil
    /// Pin workers to CPUs (from the allowed set, in order).
    public var pinWorkers = true
    /// CPUs to run workers on (must lie inside the allowed set); nil means the allowed set.
    public var cpus: [Int]? = nil
    /// Place each worker's memory on its CPU's NUMA node.
    public var numa: NumaPolicy = .auto
    /// Reuseport steering of new connections.
    public var steering: Steering = .none
    public var serverName = "ringmaster"
    /// The body of `GET /` and `GET /plaintext`.
    public var plaintextBody = "Hello, World!"
    public var ringEntries: UInt32 = 2048
    public var cqFactor: UInt32 = 8
    public var bufferCount: UInt32 = 1024
    public var bufferSize: UInt32 = 4096
    public var hugePages: HugePagePolicy = .auto
    public var maxConnections = 16384
    public var limits = HTTPLimits(maxRequestLine: 8192, maxHeaderBytes: 8192, maxHeaderCount: 100, maxBodyBytes: 1 << 20)
    public var shutdownTimeoutMilliseconds = 10_000
    /// Per-state connection timeouts, in seconds.
    public var timeouts = ConnectionTimeouts()
    /// TCP_NODELAY on accepted connections.
    public var tcpNoDelay = true
    /// TCP_QUICKACK on accepted connections (audit item 4).
    public var tcpQuickAck = false
    /// NAPI busy polling through IORING_REGISTER_NAPI, in microseconds; 0 = off (audit item 6).
    public var napiBusyPollMicroseconds: UInt32 = 0
    public var napiPreferBusyPoll = false
    /// Per-worker small-file cache size and largest cached file (`files.cache_bytes`,
    /// `files.cache_file_max`), bodies streamed at once (`files.streams`) and the read size
    /// of a file stream (`files.read_bytes`).
    public var fileCacheBytes = 32 << 20
    public var fileCacheMaxFile = 256 << 10
    public var maxStreams = 1024
    public var streamReadBytes = 64 << 10
    /// File bodies by sendfile(2) (`files.sendfile`; needs Linux 6.8, else READ + SEND).
    public var fileSendfile = true
    /// Provided-buffer groups a worker may add when receives run dry (ENOBUFS); 1 = never grow.
    public var bufferGroupsMax = 4
    /// Least severe level logged (`logging.level`).
    public var logLevel: Logger.Level = .info
    /// Text or JSON lines (`logging.format`).
    public var logFormat: LogFormat = .text
    /// Account to switch to after the listeners are bound; nil keeps the starting user.
    public var user: String? = nil
    /// Group to switch to; nil means the user's primary group.
    public var group: String? = nil
    /// The access log file (`access_log.path`); nil turns the access log off.
    public var accessLogPath: String? = nil
    /// The access log's line layout (`access_log.format`).
    public var accessLogFormat: AccessLogFormat = .common
    /// Share the port with other processes (`listen.shared`): without it a port another
    /// process listens on, another ringmaster included, is a startup error (docs/configuration.md).
    public var listenShared = false
    /// `listen.proxy_protocol`: every connection opens with a PROXY protocol header (v1 or
    /// v2) from a load balancer, whose client address replaces the peer's; one without it is
    /// refused (docs/client-address.md).
    public var proxyProtocol = false
    /// `listen.real_ip_from`: load balancers whose header (`listen.real_ip_header`) names
    /// the client (docs/client-address.md); empty: the peer is the client.
    public var realIPFrom: [AddressRange] = []
    /// `listen.real_ip_header`: the field that names the client (matched ignoring case).
    public var realIPHeader = "X-Forwarded-For"
    /// `tls.*`: the listener speaks TLS when a certificate is set.
    public var tls = TLSSettings()
    /// Started with `--takeover`: share the port with the ringmaster that holds it, and become
    /// its owner once that one has exited (the zero-downtime restart, docs/shutdown.md). A run
    /// mode, not a key.
    public var takeover = false
    /// Started with `--replace PID`: a takeover that, once every worker accepts (READY),
    /// sends SIGTERM to the ringmaster PID so it drains. A run mode, not a key.
    public var replaceProcess: Int32? = nil
    /// Record the request duration histogram (`metrics.request_duration`).
    public var recordRequestDurations = true
    /// One sample per worker with a `worker` label in /metrics (`metrics.worker_label`).
    public var metricsWorkerLabel = false
    /// The `routes` key; nil serves the built-in routes.
    public var configuredRoutes: [RouteConfiguration]? = nil

    public init() {}

    /// The built-in routes of the core engine: `/` and `/plaintext` with the configured body,
    /// `/healthz` with "ok", `/metrics` with every worker's counters.
    public var builtInRoutes: [RouteConfiguration] {
        [
            RouteConfiguration(path: "/", body: plaintextBody),
            RouteConfiguration(path: "/plaintext", body: plaintextBody),
            RouteConfiguration(path: "/healthz", kind: "health", body: "ok\n"),
            RouteConfiguration(path: "/metrics", kind: "metrics", body: ""),
        ]
    }

    /// What the workers serve: the configured routes when `routes` is set (they replace the
    /// built-ins), else the built-ins.
    public var routes: [StaticRoute] {
        (configuredRoutes ?? builtInRoutes).map(\.staticRoute)
    }

    /// Size of the per-connection output and carry chunks: a whole head plus one receive
    /// buffer, and the largest static response, rounded up to 4 KiB.
    public var chunkSize: Int {
        let largestBody = (configuredRoutes ?? builtInRoutes).map { $0.body.utf8.count }.max() ?? 0
        let largest = max(16384, limits.maxHeaderBytes + Int(bufferSize), largestBody + 1024)
        return (largest + 4095) / 4096 * 4096
    }

    /// What a running worker can take on reload.
    public var hotSettings: HotSettings {
        HotSettings(limits: limits, timeouts: timeouts, routes: routes, serverName: serverName)
    }
}
