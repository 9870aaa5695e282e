// Bridge to swift-metrics for programs that embed Ringmaster and already report through a
// metrics backend: `update()` reads every worker's counters (relaxed loads, no lock on the
// workers' side) and forwards what changed since the last call. Call it from a timer of the
// embedding program; the workers never call into swift-metrics.
import CoreMetrics
import Synchronization

/// Forwards a server's counters to swift-metrics `Counter`s and `Gauge`s.
public final class MetricsBridge: Sendable {
    /// A counter reported as a swift-metrics counter, with its last forwarded total.
    struct Forwarded {
        let source: WorkerCounter
        let counter: Counter
    }

    private let server: Server
    private let forwarded: [Forwarded]
    private let activeConnections: Gauge
    /// Totals already forwarded, indexed like `forwarded`; one caller at a time.
    private let lastTotals: Mutex<[UInt64]>

    /// Creates the swift-metrics objects once (as swift-metrics asks), with `factory`
    /// (the bootstrapped one by default).
    public init(server: Server, factory: any MetricsFactory = MetricsSystem.factory) {
        self.server = server
        let names: [(WorkerCounter, String, [(String, String)])] = [
            (.accepted, "ringmaster_connections_accepted_total", []),
            (.closed, "ringmaster_connections_closed_total", []),
            (.requests, "ringmaster_requests_total", []),
            (.bytesIn, "ringmaster_received_bytes_total", []),
            (.bytesOut, "ringmaster_sent_bytes_total", []),
            (.responses2xx, "ringmaster_responses_total", [("code", "2xx")]),
            (.responses3xx, "ringmaster_responses_total", [("code", "3xx")]),
            (.responses4xx, "ringmaster_responses_total", [("code", "4xx")]),
            (.responses5xx, "ringmaster_responses_total", [("code", "5xx")]),
            (.idleTimeouts, "ringmaster_timeouts_total", [("kind", "idle")]),
            (.headerTimeouts, "ringmaster_timeouts_total", [("kind", "header")]),
            (.bodyTimeouts, "ringmaster_timeouts_total", [("kind", "body")]),
            (.writeTimeouts, "ringmaster_timeouts_total", [("kind", "write")]),
            (.bufferStarvations, "ringmaster_buffer_starvations_total", []),
            (.fileCacheHits, "ringmaster_file_cache_lookups_total", [("result", "hit")]),
            (.fileCacheMisses, "ringmaster_file_cache_lookups_total", [("result", "miss")]),
            (.fileStreams, "ringmaster_file_streams_total", []),
            (.fileErrors, "ringmaster_file_errors_total", []),
        ] + WorkerStatistics.parseErrorKinds.map { ($0.0, "ringmaster_parse_errors_total", [("kind", "\($0.1)")]) }
        forwarded = names.map { Forwarded(source: $0.0, counter: Counter(label: $0.1, dimensions: $0.2, factory: factory)) }
        activeConnections = Gauge(label: "ringmaster_connections_active", dimensions: [], factory: factory)
        lastTotals = Mutex([UInt64](repeating: 0, count: names.count))
    }

    /// Forwards the increments since the previous call and the current active connections.
    public func update() {
        lastTotals.withLock { last in
            for (i, entry) in forwarded.enumerated() {
                let now = server.total(entry.source)
                if now > last[i] { entry.counter.increment(by: Int64(clamping: now - last[i])) }
                last[i] = now
            }
        }
        activeConnections.record(Int64(clamping: server.total(.active)))
    }
}
