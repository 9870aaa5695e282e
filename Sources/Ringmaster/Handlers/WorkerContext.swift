// The worker as handlers see it: which worker runs them, timers on its ring, and the queue
// through which deferred responses are finished. Handlers run inside the worker's event loop
// while it is in the middle of its own work, so nothing here touches the ring or the
// connections directly: timers and finishes are queued and the worker acts on them after the
// current batch of completions (Worker+Deferred.swift). Bound to the worker's thread.
import Glibc
import Logging

/// One worker's services for handlers: `request.worker`.
///
/// Everything here must be used on the worker's own thread (inside a handler or a timer
/// callback of this worker); calling from any other thread stops the process with a
/// precondition failure, since the worker's state is not locked.
public final class WorkerContext {
    /// The worker's number (0-based), e.g. to keep per-worker state in an array.
    public let index: Int
    /// The worker's logger (`request.logger` adds the request id to it).
    public let logger: Logger
    /// The worker's thread, for the same-thread checks.
    private let thread: pthread_t
    /// False once the worker's loop ended: finishing and timers are then no-ops.
    private(set) var running = true
    /// Deferred responses finished since the worker last looked, in call order.
    private var finishes: [PendingFinish] = []
    private var finishHead = 0
    /// Timers asked for and not yet armed on the ring.
    private(set) var unarmedTimers: [UInt32] = []
    /// Timer slots by id: the callback and the 16 bytes of the kernel timespec it is armed with.
    private var timers: [TimerSlot] = []
    private var freeTimers: [UInt32] = []
    private var lastDeferralID: UInt32 = 0
    /// The worker as a Swift executor: async handlers' tasks run on it (WorkerExecutor).
    public let executor: WorkerExecutor
    /// The tasks of async handlers whose responses are still owed, by deferral id: a
    /// connection that closes first cancels its handler's task.
    private var tasks: [UInt32: Task<Void, Never>] = [:]
    /// The bodies of streaming routes' requests still arriving, by connection slot.
    var bodyChannels: [UInt32: BodyChannel] = [:]
    /// Connections whose handler read enough of a waiting body to take more (BodyChannel):
    /// the worker parses their input again after this batch.
    private var bodyRooms: [(slot: UInt32, generation: UInt8)] = []
    /// The writers of streamed response bodies still being written, by connection slot.
    var responseWriters: [UInt32: ResponseBodyWriter] = [:]
    /// Connections whose ResponseBodyWriter wrote or ended since the worker last looked.
    private var writerEvents: [(slot: UInt32, generation: UInt8)] = []

    /// Created on the worker's thread; `eventFD` is the worker's wake-up eventfd.
    init(index: Int, logger: Logger, eventFD: Int32) {
        self.index = index
        self.logger = logger
        thread = pthread_self()
        executor = WorkerExecutor(eventFD: eventFD)
    }

    deinit {
        for slot in timers { slot.timespec.deallocate() }
    }

    /// Whether the caller runs on this worker's thread.
    public var isCurrentThread: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Calls `callback` on this worker's thread after `milliseconds` (IORING_OP_TIMEOUT on
    /// the worker's ring; the worker never sleeps). The callback may finish deferred
    /// responses and schedule further timers; like a handler, it must not block. Timers not
    /// yet fired when the worker stops are dropped.
    public func after(milliseconds: Int, _ callback: @escaping () -> Void) {
        precondition(isCurrentThread, "WorkerContext.after called off worker \(index)'s thread")
        precondition(milliseconds >= 0, "a timer's delay is not negative")
        guard running else { return }
        let id: UInt32
        if let free = freeTimers.popLast() {
            id = free
        } else {
            id = UInt32(timers.count)
            timers.append(TimerSlot(timespec: .allocate(byteCount: 16, alignment: 8)))
        }
        timers[Int(id)].callback = callback
        timers[Int(id)].milliseconds = milliseconds
        unarmedTimers.append(id)
    }

    /// Whether the worker has queued work to act on after this batch.
    var hasWork: Bool { finishHead < finishes.count || !unarmedTimers.isEmpty || !bodyRooms.isEmpty || !writerEvents.isEmpty }

    /// A streamed response's writer wrote or ended (on this thread: the writer runs here).
    func writerEvent(slot: UInt32, generation: UInt8) {
        guard running else { return }
        writerEvents.append((slot, generation))
    }

    /// The connections whose writers have news, clearing the list.
    func takeWriterEvents() -> [(slot: UInt32, generation: UInt8)] {
        defer { writerEvents.removeAll(keepingCapacity: true) }
        return writerEvents
    }

    /// A streaming body's handler made room (on this thread: BodyChannel runs here).
    func bodyRoomMade(slot: UInt32, generation: UInt8) {
        guard running else { return }
        bodyRooms.append((slot, generation))
    }

    /// The connections told of room since the worker last looked, clearing the list.
    func takeBodyRooms() -> [(slot: UInt32, generation: UInt8)] {
        defer { bodyRooms.removeAll(keepingCapacity: true) }
        return bodyRooms
    }

    /// A fresh deferral id, never 0 (0 marks "not deferred").
    func takeDeferralID() -> UInt32 {
        // Safe: a wrapping 32-bit serial; 0 is skipped.
        lastDeferralID &+= 1
        if lastDeferralID == 0 { lastDeferralID = 1 }
        return lastDeferralID
    }

    func enqueue(_ finish: PendingFinish) {
        // After the loop ended (a cancelled task ending on whatever thread resumed it) there
        // is nothing to finish.
        guard running else { return }
        precondition(isCurrentThread, "DeferredResponse.finish called off worker \(index)'s thread: finish on the worker that deferred it")
        finishes.append(finish)
    }

    /// The oldest queued finish, or nil when none is left (the queue is then emptied, keeping
    /// its capacity).
    func nextFinish() -> PendingFinish? {
        guard finishHead < finishes.count else {
            finishes.removeAll(keepingCapacity: true)
            finishHead = 0
            return nil
        }
        defer { finishHead += 1 }
        return finishes[finishHead]
    }

    /// The timers to arm now (their ids), clearing the list.
    func takeUnarmedTimers() -> [UInt32] {
        defer { unarmedTimers.removeAll(keepingCapacity: true) }
        return unarmedTimers
    }

    /// Where timer `id`'s timespec lives and its delay.
    func timer(_ id: UInt32) -> (timespec: UnsafeMutableRawPointer, milliseconds: Int) {
        (timers[Int(id)].timespec, timers[Int(id)].milliseconds)
    }

    /// Takes timer `id`'s callback and frees the id for reuse.
    func fire(_ id: UInt32) -> (() -> Void)? {
        guard Int(id) < timers.count, let callback = timers[Int(id)].callback else { return nil }
        timers[Int(id)].callback = nil
        freeTimers.append(id)
        return callback
    }

    /// Runs `work` as a task on this worker's executor and finishes `later` with its answer,
    /// on this worker. The task is cancelled if the connection closes first (`cancelTask`).
    func startTask(_ later: DeferredResponse, handler: String, _ work: @escaping @Sendable () async throws -> AsyncResponse) {
        precondition(isCurrentThread, "an async handler starts on its worker's thread")
        // The token and the context are used only on this worker's thread: the task runs on
        // its executor, where every nonisolated part of it resumes.
        let bound = WorkerBound((later, self))
        let id = later.id
        tasks[id] = Task(executorPreference: executor) {
            let answer: AsyncResponse
            do {
                answer = try await work()
            } catch {
                if !(error is HTTPError) && !(error is CancellationError) {
                    bound.value.1.logger.error("worker \(bound.value.1.index): \(handler) threw \(error); answered 500")
                }
                answer = .failure(error)
            }
            let (later, context) = bound.value
            guard let produce = answer.producer else {
                context.tasks[id] = nil
                later.finish { answer.write(into: &$0) }
                return
            }
            // A streamed body: the head goes out now, then what the producer writes. The task
            // stays registered, so a connection that closes meanwhile cancels it.
            let writer = ResponseBodyWriter(executor: context.executor, owner: WorkerBound((context, later.slot, later.generation)))
            later.finish { answer.write(into: &$0, writer: writer) }
            do {
                try await produce(writer)
                await writer.finish()
            } catch {
                if !(error is CancellationError) {
                    bound.value.1.logger.error("worker \(bound.value.1.index): \(handler) threw \(error) while streaming its body; connection cut")
                }
                await writer.abort()
            }
            context.tasks[id] = nil
        }
    }

    /// The connection owing deferral `id` closed: its handler's task, if any, is cancelled.
    func cancelTask(deferral id: UInt32) {
        tasks.removeValue(forKey: id)?.cancel()
    }

    /// Async handler tasks still running.
    var runningTasks: Int { tasks.count }

    /// The worker's loop ended: drop queued work and callbacks, which may hold tokens that
    /// hold this context (breaking the cycle); cancel the async handlers and let the executor
    /// run what their cancellation resumes.
    func stop() {
        running = false
        for task in tasks.values { task.cancel() }
        tasks.removeAll()
        executor.stop()
        finishes.removeAll()
        finishHead = 0
        bodyRooms.removeAll()
        bodyChannels.removeAll()
        writerEvents.removeAll()
        for writer in responseWriters.values { writer.assumeIsolated { $0.fail(CancellationError()) } }
        responseWriters.removeAll()
        unarmedTimers.removeAll()
        for i in timers.indices { timers[i].callback = nil }
    }
}

@available(*, unavailable, message: "a worker's context is used on its own thread only")
extension WorkerContext: Sendable {}

/// A value used only on one worker's thread, carried into a task that runs on that worker's
/// executor (which Swift cannot see, hence unchecked).
struct WorkerBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A handler timer's state; `timespec` is kernel-read memory that lives as long as the id.
struct TimerSlot {
    var callback: (() -> Void)?
    let timespec: UnsafeMutableRawPointer
    var milliseconds = 0

    init(timespec: UnsafeMutableRawPointer) {
        self.timespec = timespec
    }
}

/// A `DeferredResponse.finish` call waiting for the worker.
struct PendingFinish {
    let slot: UInt32
    let generation: UInt8
    let id: UInt32
    let body: (inout Response) -> Void
}
