// Accepting connections, the shutdown wake-up read, and failures of fire-and-forget ops.
import CURing
import Glibc

extension Worker {
    /// Multishot accept into direct descriptors the kernel picks (IORING_FILE_INDEX_ALLOC,
    /// Linux 5.19): the CQE's result is the slot, and no fd enters the process table.
    mutating func armAccept() {
        let sqe = ring.nextSQE()
        io_uring_prep_multishot_accept_direct(sqe, listenerFD, nil, nil, 0)
        sqe.pointee.user_data = UserData(slot: 0, operation: .accept).rawValue
    }

    /// The slot value that marks the accept-retry timer among `.timeout` completions.
    static let acceptRetryTimer: UInt32 = 1

    mutating func handleAccept(result: Int32, flags: UInt32) {
        if result >= 0 {
            acceptFailures = 0
            openConnection(slot: UInt32(result))
        } else if result == -ENFILE {
            // The fixed-file table (max_connections) is full: the kernel has already closed
            // the new connection cleanly. Counted; the next connection is tried normally.
            statistics.add(.acceptErrors)
        } else if result != -ECANCELED && !draining {
            // Anything else (ENOMEM, EMFILE, ENOBUFS...) could repeat at once: retry after a
            // bounded backoff instead of spinning.
            statistics.add(.acceptErrors)
            if flags & CURING_CQE_F_MORE == 0 {
                armAcceptRetry(error: -result)
                return
            }
        }
        if flags & CURING_CQE_F_MORE == 0 && !draining { armAccept() }
    }

    /// Re-arms accept after 10 ms, doubling per consecutive failure up to 1 s.
    mutating func armAcceptRetry(error: Int32) {
        acceptFailures += 1
        statistics.add(.acceptBackoffs)
        let milliseconds = min(10 << min(acceptFailures - 1, 7), 1000)
        // One line per backoff step, at most one a second once the backoff is at its cap.
        logger.warning("worker \(index): accept failed with \(Errno.describe(error)); retrying in \(milliseconds) ms")
        let spec = (scratch + 48).assumingMemoryBound(to: __kernel_timespec.self)
        spec.pointee.tv_sec = Int64(milliseconds / 1000)
        spec.pointee.tv_nsec = Int64(milliseconds % 1000) * 1_000_000
        let sqe = ring.nextSQE()
        io_uring_prep_timeout(sqe, spec, 0, 0)
        sqe.pointee.user_data = UserData(slot: Worker.acceptRetryTimer, operation: .timeout).rawValue
    }

    /// Starts a connection in `slot`: fresh record (keeping the generation), TCP_QUICKACK
    /// when configured, multishot recv.
    mutating func openConnection(slot: UInt32) {
        guard Int(slot) < table.capacity, !draining else {
            prepareClose(slot: slot, generation: 0)
            return
        }
        let connection = table[slot]
        connection.pointee = ConnectionRecord(generation: connection.pointee.generation)
        connection.pointee.flags = ConnectionFlags.open
        if Int(slot) >= table.highWater { table.highWater = Int(slot) + 1 }
        statistics.add(.accepted)
        statistics.add(.active)
        // TCP_NODELAY comes from the listener (Listener.open; Linux copies it to accepted
        // sockets), so it costs no SQE here. TCP_QUICKACK is not a persistent option (tcp(7)), so
        // it is not inherited: set without a system call, no CQE unless it fails (audit item 4).
        if quickAck { prepareSocketOption(slot: slot, TCP_QUICKACK) }
        armRecv(slot: slot)
        updateTimer(slot: slot)
    }

    /// An IPPROTO_TCP option set to 1 through IORING_OP_URING_CMD (SOCKET_URING_OP_SETSOCKOPT).
    mutating func prepareSocketOption(slot: UInt32, _ option: Int32) {
        let sqe = ring.nextSQE()
        curing_prep_setsockopt(sqe, Int32(slot), Int32(IPPROTO_TCP), option, SocketOptions.one, 4)
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE | CURING_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = UserData(slot: slot, operation: .setsockopt, generation: table[slot].pointee.generation).rawValue
    }

    /// Keeps a read armed on the worker's eventfd, so the supervisor's write wakes the loop.
    mutating func armWake() {
        let sqe = ring.nextSQE()
        io_uring_prep_read(sqe, control.eventFD, scratch, 8, 0)
        sqe.pointee.user_data = UserData(slot: 0, operation: .wake).rawValue
    }

    mutating func handleWake(result: Int32) {
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

    /// Close, cancel and setsockopt post a CQE only on failure (or a cancel finding nothing).
    mutating func handleAuxiliaryFailure(_ data: UserData, result: Int32) {
        if data.operation == .setsockopt && result < 0 { statistics.add(.peerErrors) }
    }
}
