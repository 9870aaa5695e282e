// A response body an async handler writes as it goes (docs/handlers.md, "Streaming
// response bodies"): `return .stream { writer in for ... { try await writer.write(piece) } }`.
// The head goes out first (chunked, or without a length when the connection closes after
// it), then each write is copied into the connection's body-stream buffer as it has room,
// and `write` returns only once its bytes are in: a client that reads slowly makes the
// writer wait (backpressure), so memory stays at one buffer whatever the body's size.
import RingmasterHTTP

/// Writes the body of a streamed `AsyncResponse`. An actor on the worker's own executor:
/// its methods run on the worker's thread, where the worker takes what was written; nothing
/// is locked.
public actor ResponseBodyWriter {
    nonisolated let executor: WorkerExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// The connection the body goes to, and the context that tells its worker of writes.
    private let owner: WorkerBound<(context: WorkerContext, slot: UInt32, generation: UInt8)>
    /// The bytes of the write in progress, and how many of them the worker has taken.
    private var pending: [UInt8] = []
    private var taken = 0
    private var waiter: CheckedContinuation<Void, Error>?
    /// The handler's body ended (`finish`), or broke off (`abort`: the connection is cut,
    /// since the head promised a whole body).
    private(set) var ended = false
    private(set) var aborted = false
    private var failure: Error?

    init(executor: WorkerExecutor, owner: WorkerBound<(context: WorkerContext, slot: UInt32, generation: UInt8)>) {
        self.executor = executor
        self.owner = owner
    }

    /// Writes `bytes` after what was written before; returns once the worker has taken them
    /// (so a slow client slows the writer). Throws `CancellationError` once the client is gone.
    public func write(_ bytes: [UInt8]) async throws {
        if let failure { throw failure }
        precondition(!ended, "ResponseBodyWriter.write after the body ended")
        // One write at a time: a second would replace the first's bytes and leave it waiting.
        guard waiter == nil, taken == pending.count else { throw StreamMisuse.concurrentWrite }
        guard !bytes.isEmpty else { return }
        pending = bytes
        taken = 0
        notify()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                if let failure { continuation.resume(throwing: failure) } else if taken == pending.count { continuation.resume() } else { waiter = continuation }
            }
        } onCancel: {
            Task { await self.fail(CancellationError()) }
        }
    }

    /// Writes `text` as UTF-8.
    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }

    // MARK: The worker's side (on its thread, through assumeIsolated, or the task's end)

    /// Whether bytes wait to be taken.
    var hasPending: Bool { taken < pending.count }

    /// Copies up to `room` waiting bytes to `destination`; the write returns once all are taken.
    func take(into destination: UnsafeMutableRawPointer, room: Int) -> Int {
        let count = min(room, pending.count - taken)
        guard count > 0 else { return 0 }
        pending.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + taken, byteCount: count) }
        taken += count
        if taken == pending.count {
            pending = []
            taken = 0
            if let waiter {
                self.waiter = nil
                waiter.resume()
            }
        }
        return count
    }

    /// The handler's body is complete.
    func finish() {
        ended = true
        notify()
    }

    /// The handler threw while writing: the body cannot be completed.
    func abort() {
        ended = true
        aborted = true
        notify()
    }

    /// The body will not be sent (the client left, or the request was HEAD): the write in
    /// progress and every later one throw `error`.
    func fail(_ error: Error) {
        guard failure == nil else { return }
        failure = error
        pending = []
        taken = 0
        if let waiter {
            self.waiter = nil
            waiter.resume(throwing: error)
        }
    }

    private func notify() {
        let owner = owner.value
        owner.context.writerEvent(slot: owner.slot, generation: owner.generation)
    }
}

/// A streamed body used from two tasks at once: the second call fails with this, and the first
/// carries on.
public enum StreamMisuse: Error, Sendable {
    /// `ResponseBodyWriter.write` while another write of the same body waits.
    case concurrentWrite
    /// `RequestBody`'s `next()` while another read of the same body waits.
    case concurrentRead
}
