// Per-worker counters: written by the worker alone with plain relaxed stores (no locked
// instruction on the hot path), read by anyone with relaxed loads. The block is 64-byte
// aligned and a whole number of cache lines, so two workers' counters never share a line.
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
}

/// Counters of one worker. A final class so the supervisor and tests can hold it.
public final class WorkerStatistics: @unchecked Sendable {
    /// Cache lines the block spans.
    static let lines = (WorkerCounter.allCases.count * 8 + 63) / 64
    let storage: UnsafeMutableRawPointer

    public init() {
        storage = .allocate(byteCount: WorkerStatistics.lines * 64, alignment: 64)
        storage.initializeMemory(as: UInt64.self, repeating: 0, count: WorkerStatistics.lines * 8)
    }

    deinit { storage.deallocate() }

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

    /// Reads a counter from any thread.
    public func value(_ counter: WorkerCounter) -> UInt64 { cell(counter).pointee.load(ordering: .relaxed) }

    /// The block's address (for the false-sharing test).
    public var address: UnsafeRawPointer { UnsafeRawPointer(storage) }
    public var byteCount: Int { WorkerStatistics.lines * 64 }
}
