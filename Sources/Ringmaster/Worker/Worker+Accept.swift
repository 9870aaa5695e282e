// Accepting connections, the shutdown wake-up read, and failures of fire-and-forget ops.
import Glibc

extension Worker {
    /// Multishot accept into direct descriptors the kernel picks (IORING_FILE_INDEX_ALLOC,
    /// Linux 5.19): the CQE's result is the slot, and no fd enters the process table.
    mutating func armAccept() {
        ring.prepareMultishotAccept(listener: listenerFD, userData: UserData(slot: 0, operation: .accept))
    }

    /// The slot value that marks the accept-retry timer among `.timeout` completions.
    static let acceptRetryTimer: UInt32 = 1

    mutating func handleAccept(_ completion: Completion) {
        switch completion.outcome {
        case .done(let slot):
            acceptFailures = 0
            openConnection(slot: UInt32(slot))
        case .tableFull:
            // The fixed-file table (max_connections) is full: the kernel has already closed
            // the new connection cleanly. Counted; the next connection is tried normally.
            statistics.add(.acceptErrors)
        case .cancelled:
            break
        case .failed(let error) where !draining:
            // Anything else (ENOMEM, EMFILE, ENOBUFS...) could repeat at once: retry after a
            // bounded backoff instead of spinning.
            statistics.add(.acceptErrors)
            if !completion.hasMore {
                armAcceptRetry(error: error)
                return
            }
        default:
            break
        }
        if !completion.hasMore && !draining { armAccept() }
    }

    /// Re-arms accept after 10 ms, doubling per consecutive failure up to 1 s.
    mutating func armAcceptRetry(error: Int32) {
        acceptFailures += 1
        statistics.add(.acceptBackoffs)
        let milliseconds = min(10 << min(acceptFailures - 1, 7), 1000)
        // One line per backoff step, at most one a second once the backoff is at its cap.
        logger.warning("worker \(index): accept failed with \(Errno.describe(error)); retrying in \(milliseconds) ms")
        ring.prepareTimeout(milliseconds: milliseconds, spec: scratch + 48, userData: UserData(slot: Worker.acceptRetryTimer, operation: .timeout))
    }

    /// Starts a connection in `slot`: fresh record (keeping the generation), TCP_QUICKACK
    /// when configured, multishot recv.
    mutating func openConnection(slot: UInt32) {
        guard Int(slot) < table.capacity, !draining else {
            // Nothing was submitted on it yet: the close alone.
            ring.prepareCloseDirect(slot: slot, userData: UserData(slot: slot, operation: .close))
            return
        }
        let connection = table[slot]
        connection.pointee = ConnectionRecord(generation: connection.pointee.generation)
        let actions = connection.pointee.machine.accepted(mayLinger: timeouts.linger > 0)
        if Int(slot) >= table.highWater { table.highWater = Int(slot) + 1 }
        statistics.add(.accepted)
        statistics.add(.active)
        // TCP_NODELAY comes from the listener (Listener.open; Linux copies it to accepted
        // sockets), so it costs no SQE here. TCP_QUICKACK is not a persistent option (tcp(7)),
        // so it is not inherited: set without a system call, no CQE unless it fails (audit item 4).
        let generation = connection.pointee.generation
        if quickAck { ring.prepareSocketOption(slot: slot, option: TCP_QUICKACK, userData: UserData(slot: slot, operation: .setsockopt, generation: generation)) }
        perform(actions, slot: slot)
        updateTimer(slot: slot)
    }

    /// Keeps a read armed on the worker's eventfd, so the supervisor's write wakes the loop.
    mutating func armWake() {
        ring.prepareRead(fd: control.eventFD, into: scratch, count: 8, offset: 0, userData: UserData(slot: 0, operation: .wake))
    }

    mutating func handleWake() {
        if let settings = control.takeReload() { apply(settings) }
        if let fd = control.takeAccessLogFD() { reopenAccessLog(fd: fd) }
        switch control.phase {
        case .running: armWake()
        case .draining:
            startDrain()
            if exit == nil { armWake() }
        case .forced: closeAll(reason: .forced)
        }
    }

    /// Close, cancel, shutdown and setsockopt post a CQE only on failure (or a cancel
    /// finding nothing, which is no failure: the recv it meant to stop had already ended).
    mutating func handleAuxiliaryFailure(_ data: UserData, _ completion: Completion) {
        if data.operation == .setsockopt && completion.result < 0 { statistics.add(.peerErrors) }
    }
}
