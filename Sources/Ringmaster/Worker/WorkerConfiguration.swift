// Everything one worker needs to start, decided by the supervisor before the thread exists.
import Logging
import RingmasterHTTP

/// A worker's settings: a plain value handed to the worker thread.
public struct WorkerConfiguration: Sendable {
    /// Worker number (0-based), for names and messages.
    public var index: Int
    /// CPU to pin to, or nil to leave the thread unpinned.
    public var cpu: Int?
    /// NUMA node for the worker's memory, or nil for first-touch placement.
    public var numaNode: Int32?
    /// The SO_REUSEPORT listening socket this worker accepts on (it owns and closes it).
    public var listenerFD: Int32
    /// SQ entries (the CQ gets `cqFactor` times as many).
    public var ringEntries: UInt32 = 2048
    public var cqFactor: UInt32 = 8
    /// Provided receive buffers: count (a power of two) and size in bytes.
    public var bufferCount: UInt32 = 1024
    public var bufferSize: UInt32 = 4096
    public var hugePages: HugePagePolicy = .auto
    /// Connections this worker holds at most (also the fixed-file table size, capped by
    /// RLIMIT_NOFILE).
    public var maxConnections: Int = 16384
    /// Size of the per-connection output and carry-over chunks.
    public var chunkSize: Int = 16384
    public var limits = HTTPLimits(maxRequestLine: 8192, maxHeaderBytes: 8192, maxHeaderCount: 64, maxBodyBytes: 1 << 20)
    public var timeouts = ConnectionTimeouts()
    public var tcpQuickAck = false
    /// `listen.proxy_protocol`: connections open with a PROXY protocol header (v1 or v2).
    public var proxyProtocol = false
    public var napiBusyPollMicroseconds: UInt32 = 0
    public var napiPreferBusyPoll = false
    public var bufferGroupsMax = 4
    /// Configured routes; the router's come before them.
    public var routes: [StaticRoute] = []
    /// The small-file cache: total bytes, and the largest file it holds.
    public var fileCacheBytes = 32 << 20
    public var fileCacheMaxFile = 256 << 10
    /// Bodies streamed at once, and the read size (and buffer) of each file stream.
    public var maxStreams = 1024
    public var streamBufferSize = 64 << 10
    /// File bodies by sendfile(2) where the kernel has IORING_OP_FIXED_FD_INSTALL (Linux 6.8).
    public var sendfile = true
    /// Routes and handlers built in code.
    public var router = Router()
    /// For the rare events a worker reports itself (accept failures); never on the hot path.
    public var logger = Logger(label: "ringmaster")
    /// Every worker's statistics, for /metrics (set by the supervisor).
    public var allStatistics: [WorkerStatistics] = []
    public var serverName = "ringmaster"
    /// Longest graceful drain before connections are cut, in milliseconds.
    public var shutdownTimeoutMilliseconds: Int = 10_000
    /// The access log file, opened by the supervisor and owned by the worker from its start
    /// (closed by the thread if the worker fails to start); -1 for no access log.
    public var accessLogFD: Int32 = -1
    /// The TLS listener's contexts (shared by every worker); nil for a plain listener.
    public var tls: TLSContext? = nil
    /// The plain-HTTP listener beside the TLS one (`tls.plain_port`), -1 when none; the worker
    /// closes it.
    public var plainListenerFD: Int32 = -1
    /// The TLS port a plain-port redirect points to.
    public var httpsPort = 443
    /// `tls.plain`: what the plain port answers.
    public var plainAnswer: TLSPlainAnswer = .redirect
    /// `listen.real_ip_from` and `listen.real_ip_header` (RealIP).
    public var realIPFrom: [AddressRange] = []
    public var realIPHeader = "X-Forwarded-For"
    /// The active health check's verdicts, shared by every worker and the supervisor's checker.
    public var upstreamProbes = UpstreamProbes()
    public var accessLogFormat: AccessLogFormat = .common

    public init(index: Int, listenerFD: Int32) {
        self.index = index
        self.listenerFD = listenerFD
    }
}
