// The only state a worker shares with the supervisor: the shutdown phase, settings and an
// access log file waiting to be taken, and the eventfd the supervisor writes to wake the worker
// (the worker keeps a read armed on it, so it notices at once, with no polling timeout: audit
// item 5).
import Synchronization
import Glibc

/// Shutdown phases, in order.
public enum ShutdownPhase: UInt8, Sendable {
    case running = 0
    /// Stop accepting, finish what was received, close idle connections, then exit.
    case draining = 1
    /// Close everything now and exit.
    case forced = 2
}

/// Supervisor-to-worker channel of one worker.
public final class WorkerControl: Sendable {
    private let phaseValue = Atomic<UInt8>(ShutdownPhase.running.rawValue)
    private let pendingReload = Mutex<HotSettings?>(nil)
    /// A reopened access log file for the worker, or -1.
    private let pendingAccessLogFD = Mutex<Int32>(-1)
    /// eventfd(2) the worker reads through its ring.
    public let eventFD: Int32

    public init() throws(SetupError) {
        eventFD = try EventFD.make().get()
    }

    deinit {
        close(eventFD)
        // Handed over after the worker's loop ended: nobody will take it.
        pendingAccessLogFD.withLock { if $0 >= 0 { close($0) } }
    }

    public var phase: ShutdownPhase { ShutdownPhase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .running }

    /// Hands the worker new settings and wakes it; it applies them between events.
    public func reload(_ settings: HotSettings) {
        pendingReload.withLock { $0 = settings }
        var one: UInt64 = 1
        _ = write(eventFD, &one, 8)
    }

    /// The settings waiting to be applied, if any (worker thread, on wake).
    func takeReload() -> HotSettings? {
        pendingReload.withLock { value in
            defer { value = nil }
            return value
        }
    }

    /// Hands the worker a newly opened access log file (SIGHUP, log rotation) and wakes it; it
    /// switches to it for its next write and closes its old file once no write uses it. The
    /// worker owns `fd` from here on; one not yet taken is closed when replaced.
    public func reopenAccessLog(fd: Int32) {
        pendingAccessLogFD.withLock { pending in
            if pending >= 0 { close(pending) }
            pending = fd
        }
        var one: UInt64 = 1
        _ = write(eventFD, &one, 8)
    }

    /// The access log file waiting to be taken, if any (worker thread, on wake).
    func takeAccessLogFD() -> Int32? {
        pendingAccessLogFD.withLock { pending in
            defer { pending = -1 }
            return pending >= 0 ? pending : nil
        }
    }

    /// Moves to `phase` (never backwards) and wakes the worker.
    public func request(_ phase: ShutdownPhase) {
        var current = phaseValue.load(ordering: .relaxed)
        while current < phase.rawValue {
            let (exchanged, original) = phaseValue.compareExchange(expected: current, desired: phase.rawValue, ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = original
        }
        var one: UInt64 = 1
        _ = write(eventFD, &one, 8)
    }
}
