// A worker as a Swift concurrency executor (docs/handlers.md, "Async handlers"): jobs enqueued
// on it run inside the worker's event loop, between completion batches, on the worker's
// thread. Jobs enqueued on that thread (a task the worker started, resumed by something the
// worker did) go on a plain array; jobs from other threads (a task resumed by a database
// client's event loop, a continuation resumed elsewhere) go on a lock-free stack and wake the
// ring through the worker's eventfd, at most one write per loop turn. No lock either way.
import Glibc
import Synchronization

/// The executor of one worker: `Task(executorPreference: request.worker.executor) { ... }`
/// runs the task's nonisolated code on that worker. Async handlers (`router.get(path) {
/// request async throws in ... }`) run on it.
public final class WorkerExecutor: TaskExecutor, SerialExecutor, @unchecked Sendable {
    /// One job from another thread, in the lock-free stack. Each node is retained once while
    /// it is on the stack (`next` is a raw pointer to the node below, retained likewise).
    final class RemoteJob {
        let job: UnownedJob
        var next: UnsafeRawPointer?
        init(_ job: UnownedJob) { self.job = job }

        /// The jobs of the stack from `top` down (newest first), releasing every node.
        static func takeAll(_ top: UnsafeRawPointer?) -> [UnownedJob] {
            var jobs: [UnownedJob] = []
            var raw = top
            while let current = raw {
                let node = Unmanaged<RemoteJob>.fromOpaque(current).takeRetainedValue()
                jobs.append(node.job)
                raw = node.next
            }
            return jobs
        }

        /// Reverses the stack from `top` in place (its nodes' `next`), so it runs oldest first.
        static func reversed(_ top: UnsafeRawPointer) -> UnsafeRawPointer {
            var previous: UnsafeRawPointer?
            var raw: UnsafeRawPointer? = top
            while let current = raw {
                let node = Unmanaged<RemoteJob>.fromOpaque(current).takeUnretainedValue()
                raw = node.next
                node.next = previous
                previous = current
            }
            return previous!
        }
    }

    /// The worker's thread; set on it (the worker is built there).
    private let thread: pthread_t
    /// The eventfd the worker keeps a read armed on (WorkerControl): a write ends its wait.
    private let eventFD: Int32
    /// Jobs enqueued on the worker's thread, in order. Touched on that thread only.
    private var local: [UnownedJob] = []
    /// The batch being run: swapped with `local` (which the jobs may append to), so a batch
    /// costs no copy and no allocation once both have grown.
    private var running: [UnownedJob] = []
    /// Jobs from other threads, newest first (a Treiber stack of retained nodes).
    private let remote = Atomic<UnsafeRawPointer?>(nil)
    /// A wake was written and the worker has not yet taken the remote jobs.
    private let wakePending = Atomic<Bool>(false)
    /// Once the worker's loop has ended, jobs run on whichever thread enqueues them (their
    /// tasks were cancelled; what they finish is dropped), so no task is left suspended. They
    /// are then no longer serial: only cancelled handlers' last steps run that way.
    private let stopped = Atomic<Bool>(false)

    init(eventFD: Int32) {
        thread = pthread_self()
        self.eventFD = eventFD
        local.reserveCapacity(64)
        running.reserveCapacity(64)
    }

    deinit {
        // Nodes left at teardown (the worker never drained them) are freed; their jobs are
        // not run.
        _ = RemoteJob.takeAll(remote.exchange(nil, ordering: .acquiring))
    }

    public var isCurrentThread: Bool { pthread_equal(pthread_self(), thread) != 0 }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        if stopped.load(ordering: .acquiring) {
            unowned.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            return
        }
        if isCurrentThread {
            local.append(unowned)
            return
        }
        let node = RemoteJob(unowned)
        let raw = UnsafeRawPointer(Unmanaged.passRetained(node).toOpaque())
        var head = remote.load(ordering: .relaxed)
        while true {
            node.next = head
            let (exchanged, current) = remote.compareExchange(expected: head, desired: raw, ordering: .sequentiallyConsistent)
            if exchanged { break }
            head = current
        }
        // The worker may have stopped between the check above and the push, after its last
        // take: then no one else will run what is on the stack.
        if stopped.load(ordering: .sequentiallyConsistent) {
            for job in RemoteJob.takeAll(remote.exchange(nil, ordering: .acquiring)).reversed() {
                job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
            }
            return
        }
        wake()
    }

    /// Ends the worker's wait in the ring (one eventfd write until it next takes the jobs).
    func wake() {
        // Sequentially consistent with the worker's clear-then-take in runJobs (a store-buffering
        // pattern: with weaker orders both sides could miss the other's write).
        guard !wakePending.exchange(true, ordering: .sequentiallyConsistent) else { return }
        var one: UInt64 = 1
        _ = write(eventFD, &one, 8)
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor { UnownedTaskExecutor(ordinary: self) }

    public func checkIsolated() {
        precondition(isCurrentThread, "not on the worker's thread")
    }

    /// Whether jobs wait: checked by the worker after every batch (an array count and one
    /// relaxed load).
    @inline(__always)
    var hasJobs: Bool { !local.isEmpty || remote.load(ordering: .relaxed) != nil }

    /// Runs the waiting jobs on the worker's thread: the remote ones in the order they came,
    /// then the local ones, including jobs those enqueue, up to `limit` (the rest wait for
    /// the next loop turn, so a task that keeps yielding cannot starve the ring).
    func runJobs(limit: Int = 4096) {
        assert(isCurrentThread)
        var ran = 0
        // Cleared before the take: a job pushed after it writes a fresh wake.
        wakePending.store(false, ordering: .sequentiallyConsistent)
        if let top = remote.exchange(nil, ordering: .sequentiallyConsistent) {
            // Newest first on the stack: reversed in place into arrival order and run first,
            // node by node (no array: a remote resumption is the common case of an await).
            var raw: UnsafeRawPointer? = RemoteJob.reversed(top)
            var overflow: [UnownedJob] = []
            while let current = raw {
                let node = Unmanaged<RemoteJob>.fromOpaque(current).takeRetainedValue()
                raw = node.next
                if ran < limit {
                    node.job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
                    ran += 1
                } else {
                    overflow.append(node.job)
                }
            }
            if !overflow.isEmpty { local.insert(contentsOf: overflow, at: 0) }
        }
        while !local.isEmpty && ran < limit {
            // Index loops: an iterator over the batch goes through unspecialised generic code
            // in debug builds, which allocates.
            swap(&local, &running)
            var i = 0
            while i < running.count {
                if ran >= limit {
                    local.insert(contentsOf: running[i...], at: 0)
                    break
                }
                running[i].runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
                ran += 1
                i += 1
            }
            running.removeAll(keepingCapacity: true)
        }
    }

    /// The worker's loop ended: run what waits, and from now on run jobs where they are
    /// enqueued.
    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        runJobs(limit: .max)
    }
}
