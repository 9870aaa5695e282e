// Per-worker counters: written by the worker alone with plain relaxed stores (no locked
// instruction on the hot path), read by anyone with relaxed loads. The block is 64-byte
// aligned and a whole number of cache lines, so two workers' counters never share a line.
import Glibc
import RingmasterHTTP
import Synchronization

/// What a worker counts.
public enum WorkerCounter: Int, CaseIterable, Sendable {
    case accepted, active, closed, requests, bytesIn, bytesOut
    case parseErrors, peerErrors, bufferStarvations, acceptErrors, protocolOverflows
    case idleTimeouts, headerTimeouts, bodyTimeouts, writeTimeouts
    case completionOverflows, acceptBackoffs, bufferGroupsAdded
    /// Static files: refused request paths, cache hits and misses, bodies streamed, read
    /// or open failures, and answers refused for want of a free stream.
    case pathRejections, fileCacheHits, fileCacheMisses, fileStreams, fileErrors, streamsExhausted
    /// Parse errors by kind (the status they were answered with), summing to `parseErrors`.
    case parseErrorMalformed, parseErrorTimeout, parseErrorBodyTooLarge, parseErrorTargetTooLong, parseErrorExpectation
    case parseErrorHeadersTooLarge, parseErrorNotImplemented, parseErrorVersion, parseErrorOther
    /// Responses by status class.
    case responses1xx, responses2xx, responses3xx, responses4xx, responses5xx
    /// CQEs per loop iteration: buckets <= 1, 2, 4, ... 256, then more, and their sum (the
    /// count is the buckets' total).
    case batch1, batch2, batch4, batch8, batch16, batch32, batch64, batch128, batch256, batchMore
    case batchSum
    /// Access log lines dropped because both buffers were busy; failed access log writes.
    case accessLogDropped, accessLogWriteErrors
    /// Backpressure: times a connection stopped receiving because its output had no room.
    case receivePauses
    /// Lingering closes begun, and those cut by their time limit.
    case lingeringCloses, lingerTimeouts
    /// Large bodies by sendfile: pieces sent, pieces found not cached and sent by the ring's
    /// read + send instead, regular descriptors installed for connections (FIXED_FD_INSTALL),
    /// and sendfile calls that found the socket full (short or EAGAIN: the poll waits).
    case sendfilePieces, sendfileColdPieces, sendfileInstalls, sendfileSocketFull
    /// PROXY protocol: headers read, and connections refused for a missing or malformed one.
    case proxyHeaders, proxyHeaderErrors
    /// Reverse proxy: requests forwarded, upstream failures (connect, reset, bad response),
    /// upstream timeouts, and retries on another connection or upstream.
    case proxyRequests, proxyErrors, proxyTimeouts, proxyRetries
    /// Proxied requests that waited for a connection (every usable upstream at max_connections).
    case proxyQueued
    /// Proxied request bodies streamed to the upstream as they arrived (Worker+ProxyUpload.swift).
    case proxyUploads
    /// TLS: handshakes finished, by protocol, and those that resumed a session by ticket.
    case tlsHandshakes12, tlsHandshakes13, tlsResumed
    /// TLS handshakes that failed, by reason: a protocol error or alert, plain HTTP on the TLS
    /// port, the handshake timeout, the client closing before the end.
    case tlsFailuresProtocol, tlsFailuresPlaintext, tlsFailuresTimeout, tlsFailuresClosed
    /// TLS: close_notify alerts sent.
    case tlsCloseNotify
    /// TLS handshakes by the cipher suite they ended on (TLSCipher's table).
    case tlsCipherAES128GCM13, tlsCipherAES256GCM13, tlsCipherChaCha13
    case tlsCipherECDSAAES128GCM, tlsCipherECDSAAES256GCM, tlsCipherECDSAChaCha
    case tlsCipherRSAAES128GCM, tlsCipherRSAAES256GCM, tlsCipherRSAChaCha
    case tlsCipherDHEAES128GCM, tlsCipherDHEAES256GCM, tlsCipherDHEChaCha, tlsCipherOther
}

/// Counters of one worker. A final class so the supervisor and tests can hold it.
public final class WorkerStatistics: @unchecked Sendable {
    /// Cache lines the block spans.
    static let lines = (WorkerCounter.allCases.count * 8 + 63) / 64
    let storage: UnsafeMutableRawPointer

    /// Request durations and per-route counts (`RequestCells` lays them out), in a block of
    /// their own so the counter layout above is unchanged; also 64-byte aligned, also written
    /// by the owner alone.
    let requestCells: UnsafeMutableRawPointer

    /// Per-upstream counters (`UpstreamCells`: 64 rows of 4 cache lines), written by the
    /// owner alone like the blocks above.
    let upstreamBlock: UnsafeMutableRawPointer
    var upstreamCells: UpstreamCells { UpstreamCells(base: upstreamBlock) }

    /// Whether `durationStart()` reads the clock (`metrics.request_duration`). Set by the
    /// supervisor before the worker thread starts, never changed afterwards.
    ///
    /// `@exclusivity(unchecked)` here and on `cycleScale`: a class's `var` is checked for
    /// exclusive access at run time (swift_beginAccess and the runtime's access set, found
    /// through thread-local storage), and the worker reads these on every request: three
    /// checks cost 225 of its 2732 user-space instructions per keep-alive request
    /// (callgrind). They are written only before the worker thread exists.
    @exclusivity(unchecked) public var recordsDurations = true
    /// `CycleClock.scale` when durations are read from the cycle counter, 0 for clock_gettime.
    /// Set by the supervisor before the worker thread starts.
    @exclusivity(unchecked) public var cycleScale: UInt64 = 0
    /// The worker's index, for the optional `worker` label (`metrics.worker_label`).
    public var workerIndex = 0 {
        didSet { workerLabelLength = RequestCells.writeDecimal(workerIndex, into: workerLabelBytes) }
    }
    /// The index in decimal, written once, so a scrape labels samples without formatting.
    private let workerLabelBytes = UnsafeMutableRawPointer.allocate(byteCount: 20, alignment: 1)
    private var workerLabelLength = 0
    /// `worker="<index>"` for /metrics.
    public var workerLabel: PrometheusLabel {
        PrometheusLabel("worker", UnsafeRawBufferPointer(start: workerLabelBytes, count: workerLabelLength))
    }
    /// Whether /metrics writes one sample per worker with a `worker` label instead of sums.
    @exclusivity(unchecked) public var labelsWorkers = false

    public init() {
        storage = .allocate(byteCount: WorkerStatistics.lines * 64, alignment: 64)
        storage.initializeMemory(as: UInt64.self, repeating: 0, count: WorkerStatistics.lines * 8)
        requestCells = .allocate(byteCount: RequestCells.byteCount, alignment: 64)
        requestCells.initializeMemory(as: UInt64.self, repeating: 0, count: RequestCells.byteCount / 8)
        upstreamBlock = .allocate(byteCount: UpstreamCells.byteCount, alignment: 64)
        upstreamBlock.initializeMemory(as: UInt64.self, repeating: 0, count: UpstreamCells.byteCount / 8)
        workerLabelLength = RequestCells.writeDecimal(0, into: workerLabelBytes)
    }

    deinit {
        storage.deallocate()
        requestCells.deallocate()
        upstreamBlock.deallocate()
        workerLabelBytes.deallocate()
    }

    @inline(__always)
    private func cell(_ counter: WorkerCounter) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (storage + counter.rawValue * 8).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Adds `amount` (owner thread only: a relaxed load and store, not an atomic add).
    @inline(__always)
    public func add(_ counter: WorkerCounter, _ amount: UInt64 = 1) {
        let c = cell(counter)
        // Safe: counters wrap at 2^64, which a worker cannot reach.
        c.pointee.store(c.pointee.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    @inline(__always)
    public func subtract(_ counter: WorkerCounter, _ amount: UInt64 = 1) {
        let c = cell(counter)
        // Safe: only used for `active`, which is incremented first.
        c.pointee.store(c.pointee.load(ordering: .relaxed) &- amount, ordering: .relaxed)
    }

    /// Counts one loop iteration that handled `completions` CQEs (the batch histogram).
    @inline(__always)
    public func recordBatch(_ completions: UInt32) {
        // Bucket k holds batches of at most 2^k: the bit length of (n - 1).
        let bucket = completions <= 1 ? 0 : min(32 - (completions - 1).leadingZeroBitCount, 9)
        add(WorkerCounter(rawValue: WorkerCounter.batch1.rawValue + bucket)!)
        add(.batchSum, UInt64(completions))
    }

    /// Counts a request rejected with `status` (400, 408, 413, 414, 417, 431, 501, 505):
    /// the total and its kind.
    @inline(__always)
    public func recordParseError(_ status: UInt16) {
        add(.parseErrors)
        let kind: WorkerCounter
        switch status {
        case 400: kind = .parseErrorMalformed
        case 408: kind = .parseErrorTimeout
        case 413: kind = .parseErrorBodyTooLarge
        case 414: kind = .parseErrorTargetTooLong
        case 417: kind = .parseErrorExpectation
        case 431: kind = .parseErrorHeadersTooLarge
        case 501: kind = .parseErrorNotImplemented
        case 505: kind = .parseErrorVersion
        default: kind = .parseErrorOther
        }
        add(kind)
    }

    /// The kinds `recordParseError` counts, with their label values.
    public static let parseErrorKinds: [(WorkerCounter, StaticString)] = [
        (.parseErrorMalformed, "malformed"), (.parseErrorTimeout, "timeout"), (.parseErrorBodyTooLarge, "body_too_large"),
        (.parseErrorTargetTooLong, "target_too_long"), (.parseErrorExpectation, "expectation"),
        (.parseErrorHeadersTooLarge, "headers_too_large"), (.parseErrorNotImplemented, "not_implemented"),
        (.parseErrorVersion, "version"), (.parseErrorOther, "other"),
    ]

    /// Counts a response by its status class.
    @inline(__always)
    public func recordStatus(_ code: UInt16) {
        let index = min(max(Int(code / 100), 1), 5) - 1
        add(WorkerCounter(rawValue: WorkerCounter.responses1xx.rawValue + index)!)
    }

    @inline(__always)
    private func requestCell(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (requestCells + index * 8).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    /// Adds to one request cell (owner thread only, like `add`).
    @inline(__always)
    private func bump(_ index: Int, _ amount: UInt64) {
        let c = requestCell(index)
        // Safe: a sum of nanoseconds wraps after 584 years of request time.
        c.pointee.store(c.pointee.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    /// A timestamp when durations are recorded, else 0: what the worker takes when a request
    /// head is complete, and hands to `recordDuration(since:)` once the answer's last byte is
    /// queued. One cycle-counter read (`CycleClock`), or one vDSO `clock_gettime` where the
    /// counter is not a clock; no system call, no allocation.
    @inline(__always)
    public func durationStart() -> UInt64 {
        guard recordsDurations else { return 0 }
        return (cycleScale != 0 ? CycleClock.now() : RequestCells.monotonicNanoseconds()) | 1
    }

    /// Records the time since `start` (from `durationStart()`); nothing when `start` is 0
    /// (durations off, or no head was timed).
    @inline(__always)
    public func recordDuration(since start: UInt64) {
        guard start != 0 else { return }
        let now = (cycleScale != 0 ? CycleClock.now() : RequestCells.monotonicNanoseconds()) | 1
        let elapsed = now >= start ? now - start : 0
        recordDuration(nanoseconds: cycleScale != 0 ? CycleClock.nanoseconds(ticks: elapsed, scale: cycleScale) : elapsed)
    }

    /// Counts one request that took `nanoseconds` from head complete to last byte queued.
    @inline(__always)
    public func recordDuration(nanoseconds: UInt64) {
        bump(RequestCells.durationBucket(nanoseconds), 1)
        bump(RequestCells.durationSum, nanoseconds)
    }

    /// Counts one request matched to route `index` (its place in the worker's route table),
    /// or to `RouteAnswer.notFoundIndex` (255) / `RouteAnswer.methodNotAllowedIndex` (254).
    @inline(__always)
    public func recordRoute(index: Int) {
        bump(RequestCells.routeBase + (index & 0xFF), 1)
    }

    /// Requests in duration bucket `bucket` (not cumulative; the last one is above every bound).
    public func durationCount(bucket: Int) -> UInt64 { requestCell(bucket).pointee.load(ordering: .relaxed) }
    /// The sum of every recorded duration, in nanoseconds.
    public var durationSumNanoseconds: UInt64 { requestCell(RequestCells.durationSum).pointee.load(ordering: .relaxed) }
    /// Requests counted for route `index` (0...255).
    public func routeCount(index: Int) -> UInt64 { requestCell(RequestCells.routeBase + (index & 0xFF)).pointee.load(ordering: .relaxed) }
    /// The request block's address and size (for the false-sharing test).
    public var requestCellsAddress: UnsafeRawPointer { UnsafeRawPointer(requestCells) }

    /// Reads a counter from any thread.
    public func value(_ counter: WorkerCounter) -> UInt64 { cell(counter).pointee.load(ordering: .relaxed) }

    /// The block's address (for the false-sharing test).
    public var address: UnsafeRawPointer { UnsafeRawPointer(storage) }
    public var byteCount: Int { WorkerStatistics.lines * 64 }
}
