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

    mutating func handleAccept(result: Int32, flags: UInt32) {
        if result >= 0 {
            openConnection(slot: UInt32(result))
        } else if result != -ECANCELED && !draining {
            // ENFILE: the fixed-file table is full; the kernel has already closed the new
            // connection. Counted; the next connection is tried normally.
            statistics.add(.acceptErrors)
        }
        if flags & CURING_CQE_F_MORE == 0 && !draining { armAccept() }
    }

    /// Starts a connection in `slot`: fresh record (keeping the generation), TCP_NODELAY,
    /// multishot recv.
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
        // TCP_NODELAY without a system call; no CQE unless it fails (audit item 3).
        let sqe = ring.nextSQE()
        curing_prep_setsockopt(sqe, Int32(slot), Int32(IPPROTO_TCP), TCP_NODELAY, SocketOptions.one, 4)
        sqe.pointee.flags |= CURING_IOSQE_FIXED_FILE | CURING_IOSQE_CQE_SKIP_SUCCESS
        sqe.pointee.user_data = UserData(slot: slot, operation: .setsockopt, generation: connection.pointee.generation).rawValue
        armRecv(slot: slot)
        updateTimer(slot: slot)
    }

    /// Keeps a read armed on the worker's eventfd, so the supervisor's write wakes the loop.
    mutating func armWake() {
        let sqe = ring.nextSQE()
        io_uring_prep_read(sqe, control.eventFD, scratch, 8, 0)
        sqe.pointee.user_data = UserData(slot: 0, operation: .wake).rawValue
    }

    mutating func handleWake(result: Int32) {
        if let settings = control.takeReload() { apply(settings) }
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
