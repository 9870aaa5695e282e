// A request body an async handler reads as it arrives (docs/handlers.md, "Streaming
// bodies"): `router.post(path, streamingBody: { request, body in ... })` starts the handler
// at the request's head, and `body` yields the decoded bytes in pieces. The worker pushes
// each piece into the request's BodyChannel; when a window's worth waits unread, the worker
// stops parsing the connection's input (held, receiving cancelled: TCP pushes back on the
// client), and reading below half the window lets it go on. So a handler that reads slowly, or
// not yet, holds at most one window of the body in memory, whatever its size.
import RingmasterHTTP

/// The body of a request to a streaming route: an `AsyncSequence` of byte pieces, in order.
/// A body the client breaks off, or one over `limits.body_bytes`, ends the sequence with an
/// error (the client has then been answered already, and the handler's answer is dropped).
public struct RequestBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    let channel: BodyChannel?

    /// An empty body (a request without one).
    init(_ channel: BodyChannel?) { self.channel = channel }

    public func makeAsyncIterator() -> Iterator { Iterator(channel: channel) }

    public struct Iterator: AsyncIteratorProtocol {
        let channel: BodyChannel?
        public mutating func next() async throws -> [UInt8]? {
            guard let channel else { return nil }
            return try await channel.next()
        }
    }

    /// The whole body, up to `limit` bytes; past it a 413 (`HTTPError`, which the handler may
    /// let propagate).
    public func collect(upTo limit: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        for try await piece in self {
            guard all.count + piece.count <= limit else { throw HTTPError(.payloadTooLarge, "the request body is over \(limit) bytes\n") }
            all += piece
        }
        return all
    }
}

/// Where the worker puts a streaming request's body and its handler takes it: an actor on the
/// worker's own executor, so the handler's `next()` always runs on the worker's thread (from
/// any context it is awaited in) and the worker's synchronous side reaches it with
/// `assumeIsolated`. Nothing here is shared with another thread, so nothing is locked.
actor BodyChannel {
    /// Bytes waiting unread at which the worker stops parsing the connection's input.
    static let window = 64 * 1024
    /// What each waiting piece counts for beyond its bytes (its array's header and slot), so
    /// a body sent in tiny chunks fills the window by its memory, not only by its bytes.
    static let pieceOverhead = 64

    nonisolated let executor: WorkerExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    /// The connection, to tell the worker (through its context) when room was made.
    private let owner: WorkerBound<(context: WorkerContext, slot: UInt32, generation: UInt8)>
    private var pieces: [[UInt8]] = []
    private var first = 0
    /// Bytes pushed and not yet taken.
    private(set) var buffered = 0
    private var ended = false
    private var failure: Error?
    private var waiter: CheckedContinuation<[UInt8]?, Error>?
    /// The worker stopped parsing for want of room: the next take below half the window
    /// tells it to go on.
    private var paused = false

    init(executor: WorkerExecutor, owner: WorkerBound<(context: WorkerContext, slot: UInt32, generation: UInt8)>) {
        self.executor = executor
        self.owner = owner
    }

    // MARK: The worker's side (on its thread, through assumeIsolated)

    /// Room for more before the worker should stop parsing (0: stop now, and be told).
    func room() -> Int {
        let room = BodyChannel.window - buffered
        if room <= 0 { paused = true }
        return max(room, 0)
    }

    /// A decoded piece of the body.
    func push(_ piece: [UInt8]) {
        guard !ended, failure == nil else { return }
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: piece)
            return
        }
        pieces.append(piece)
        buffered += piece.count + BodyChannel.pieceOverhead
    }

    /// The body ended: what is buffered is still read, then the sequence ends.
    func finish() {
        ended = true
        if let waiter, first == pieces.count {
            self.waiter = nil
            waiter.resume(returning: nil)
        }
    }

    /// The body will not be read further (the client left, broke it off, or went over the
    /// limit): the reader gets `error`, now or at its next read.
    func fail(_ error: Error) {
        guard !ended, failure == nil else { return }
        failure = error
        pieces.removeAll()
        first = 0
        buffered = 0
        if let waiter {
            self.waiter = nil
            waiter.resume(throwing: error)
        }
    }

    // MARK: The handler's side

    func next() async throws -> [UInt8]? {
        if let failure { throw failure }
        // One reader at a time: a second would take the first's place and leave it waiting.
        guard waiter == nil else { throw StreamMisuse.concurrentRead }
        if first < pieces.count { return take() }
        if ended { return nil }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Cancelled before suspending: the handler below runs too early to see this.
                if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { waiter = continuation }
            }
        } onCancel: {
            // Any thread: the channel is told on its own executor.
            Task { await self.fail(CancellationError()) }
        }
    }

    private func take() -> [UInt8] {
        let piece = pieces[first]
        pieces[first] = []
        first += 1
        buffered -= piece.count + BodyChannel.pieceOverhead
        if first == pieces.count {
            pieces.removeAll(keepingCapacity: true)
            first = 0
        } else if first >= 64 && first * 2 >= pieces.count {
            // A reader that never quite catches up: the taken slots go, so the array stays
            // the size of what waits, not of everything ever pushed.
            pieces.removeFirst(first)
            first = 0
        }
        if paused && buffered <= BodyChannel.window / 2 {
            paused = false
            let owner = owner.value
            owner.context.bodyRoomMade(slot: owner.slot, generation: owner.generation)
        }
        return piece
    }
}
