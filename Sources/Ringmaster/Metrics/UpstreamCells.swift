// Per-upstream counters of one worker, for /metrics' `upstream` families: a fixed table of
// `UpstreamCells.capacity` (64) upstreams × 32 cells of 8 bytes (4 cache lines each), written
// by the owning worker alone with relaxed stores, read by the scraping worker with relaxed
// loads, as WorkerStatistics' counters are. Cell index = the upstream's place among the
// distinct addresses of the proxy routes, in configuration order (`Upstreams.configure`):
// every worker loads the same routes, so index i names the same upstream on every worker and
// a scrape sums row i over workers. Upstreams past the 64th distinct address are served but
// not exported (docs/proxy.md).
import Synchronization

/// One worker's per-upstream cells; `nil` base: not counting (a worker without statistics).
struct UpstreamCells {
    /// Distinct upstream addresses exported; more are proxied but not counted here.
    static let capacity = 64
    /// Cells per upstream (a whole number of cache lines).
    static let stride = 32
    static let byteCount = capacity * stride * 8

    /// Cell offsets in a row.
    static let requests = 0
    static let connectErrors = 1
    static let timeoutErrors = 2
    static let protocolErrors = 3
    /// Connections open to it, idle and busy (a gauge, moved up and down).
    static let connections = 4
    /// Monotonic second until which a worker skips it (passive health), 0 when never down.
    static let downUntil = 5
    /// The sum of response-head times, nanoseconds.
    static let timeSum = 6
    /// `RequestCells.durationBuckets` (23) per-bucket counts of response-head times.
    static let timeBuckets = 8

    let base: UnsafeMutableRawPointer?

    static var none: UpstreamCells { UpstreamCells(base: nil) }

    @inline(__always)
    func cell(_ row: Int, _ offset: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        // Safe: only called with a base (callers check) and row < capacity.
        (base.unsafelyUnwrapped + (row * UpstreamCells.stride + offset) * 8).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Adds `amount` (owner thread only: a relaxed load and store). Rows at or past the
    /// capacity (-1: not exported) are ignored.
    @inline(__always)
    func add(_ row: Int, _ offset: Int, _ amount: UInt64 = 1) {
        guard base != nil, row >= 0, row < UpstreamCells.capacity else { return }
        let c = cell(row, offset)
        c.pointee.store(c.pointee.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// Sets a cell (owner thread only).
    @inline(__always)
    func set(_ row: Int, _ offset: Int, _ value: UInt64) {
        guard base != nil, row >= 0, row < UpstreamCells.capacity else { return }
        cell(row, offset).pointee.store(value, ordering: .relaxed)
    }

    /// Counts one response head that took `nanoseconds` after the exchange began.
    @inline(__always)
    func recordTime(_ row: Int, nanoseconds: UInt64) {
        add(row, UpstreamCells.timeBuckets + RequestCells.durationBucket(nanoseconds))
        add(row, UpstreamCells.timeSum, nanoseconds)
    }

    /// Reads a cell from any thread (0 without a base).
    @inline(__always)
    func value(_ row: Int, _ offset: Int) -> UInt64 {
        guard base != nil, row >= 0, row < UpstreamCells.capacity else { return 0 }
        return cell(row, offset).pointee.load(ordering: .relaxed)
    }

    /// Zeroes every row (owner thread: the set of upstreams changed on reload, so the rows
    /// name other upstreams now; a counter reset, which Prometheus expects after a restart).
    func clear() {
        guard let base else { return }
        var i = 0
        while i < UpstreamCells.capacity * UpstreamCells.stride {
            (base + i * 8).assumingMemoryBound(to: Atomic<UInt64>.self).pointee.store(0, ordering: .relaxed)
            i += 1
        }
    }
}
