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

    /// Reads a counter from any thread.
    public func value(_ counter: WorkerCounter) -> UInt64 { cell(counter).pointee.load(ordering: .relaxed) }

    /// The block's address (for the false-sharing test).
    public var address: UnsafeRawPointer { UnsafeRawPointer(storage) }
    public var byteCount: Int { WorkerStatistics.lines * 64 }
}
