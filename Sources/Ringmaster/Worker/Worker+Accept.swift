// Accepting connections, the shutdown wake-up read, and failures of fire-and-forget ops.
import Glibc

extension Worker {
    /// The slot value that marks the accept-retry timer among `.timeout` completions (its
    /// buffer field names the pending accept to re-arm).
    static let acceptRetryTimer: UInt32 = 1

    /// Pending accept `data.slot` completed: its CQE's result is the direct descriptor the
    /// kernel picked (IORING_FILE_INDEX_ALLOC), its buffer holds the client's address.
    mutating func handleAccept(_ data: UserData, _ completion: Completion) {
        let index = Int(data.slot)
        switch completion.outcome {
        case .done(let slot):
            acceptor.failures = 0
            if Int(slot) < acceptor.slots { acceptor.accepted(index, slot: UInt32(slot)) }
            openConnection(slot: UInt32(slot), plain: acceptor.isPlain(index))
        case .tableFull:
            // The fixed-file table (max_connections) is full: the kernel has already closed
            // the new connection cleanly. Counted; the next connection is tried normally.
            link.statistics.add(.acceptErrors)
        case .cancelled:
            return
        case .failed(let error) where !lifecycle.draining:
            // Anything else (ENOMEM, EMFILE, ENOBUFS...) could repeat at once: retry after a
            // bounded backoff instead of spinning.
            link.statistics.add(.acceptErrors)
            armAcceptRetry(index: index, error: error)
            return
        default:
            break
        }
        if !lifecycle.draining { acceptor.arm(index, ring: &ring) }
    }

    /// Re-arms accept `index` after 10 ms, doubling per consecutive failure up to 1 s.
    mutating func armAcceptRetry(index: Int, error: Int32) {
        acceptor.failures += 1
        link.statistics.add(.acceptBackoffs)
        let milliseconds = min(10 << min(acceptor.failures - 1, 7), 1000)
        // Every pending accept fails alike (EMFILE): one line per backoff step, not per accept.
        if index == 0 || acceptor.failures == 1 {
            link.logger.warning("worker \(self.link.index): accept failed with \(Errno.describe(error)); retrying in \(milliseconds) ms")
        }
        ring.prepareTimeout(milliseconds: milliseconds, spec: scratch.acceptRetry,
                            userData: UserData(slot: Worker.acceptRetryTimer, operation: .timeout, buffer: UInt16(index)))
    }

    /// Starts a connection in `slot`: fresh record (keeping the generation), a TLS session
    /// unless it came from the plain-HTTP port, TCP_QUICKACK when configured, multishot recv.
    mutating func openConnection(slot: UInt32, plain: Bool) {
        // Every slot the kernel hands out is initialised, even one closed at once below.
        if Int(slot) < table.capacity { table.reach(slot) }
        guard Int(slot) < table.capacity, !lifecycle.draining else {
            // Nothing was submitted on it yet: the close alone.
            ring.prepareCloseDirect(slot: slot, userData: UserData(slot: slot, operation: .close))
            return
        }
        let connection = table[slot]
        connection.pointee = ConnectionRecord(generation: connection.pointee.generation)
        connection.pointee.awaitsProxyHeader = acceptor.expectsProxyHeader
        if tls.enabled && !plain && !openTLS(slot: slot) {
            ring.prepareCloseDirect(slot: slot, userData: UserData(slot: slot, operation: .close))
            return
        }
        let actions = connection.pointee.machine.accepted(mayLinger: policy.timeouts.linger > 0)
        link.statistics.add(.accepted)
        link.statistics.add(.active)
        // TCP_NODELAY comes from the listener (Listener.open; Linux copies it to accepted
        // sockets), so it costs no SQE here. TCP_QUICKACK is not a persistent option (tcp(7)),
        // so it is not inherited: set without a system call, no CQE unless it fails (audit item 4).
        let generation = connection.pointee.generation
        if acceptor.quickAck {
            ring.prepareSocketOption(slot: slot, option: TCP_QUICKACK, userData: UserData(slot: slot, operation: .setsockopt, generation: generation))
        }
        perform(actions, slot: slot)
        updateTimer(slot: slot)
    }

    /// Keeps a read armed on the worker's eventfd, so the supervisor's write wakes the loop.
    mutating func armWake() {
        ring.prepareRead(fd: link.control.eventFD, into: scratch.wakeCounter, count: 8, offset: 0, userData: UserData(slot: 0, operation: .wake))
    }

    mutating func handleWake() {
        if let settings = link.control.takeReload() { apply(settings) }
        if let fd = link.control.takeAccessLogFD() { reopenAccessLog(fd: fd) }
        switch link.control.phase {
        case .running: armWake()
        case .draining:
            startDrain()
            if lifecycle.exit == nil { armWake() }
        case .forced: closeAll(reason: .forced)
        }
    }

    /// Close, cancel, shutdown and setsockopt post a CQE only on failure (or a cancel
    /// finding nothing, which is no failure: the recv it meant to stop had already ended).
    mutating func handleAuxiliaryFailure(_ data: UserData, _ completion: Completion) {
        if data.operation == .setsockopt && completion.result < 0 { link.statistics.add(.peerErrors) }
    }
}
