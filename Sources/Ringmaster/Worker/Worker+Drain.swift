// The worker's part of the coordinated shutdown (DESIGN.md, "Shutdown"): stop accepting,
// answer what was received with Connection: close, close idle connections, leave when the
// last one is gone or the deadline passes.
import CURing
import Glibc

extension Worker {
    mutating func startDrain() {
        guard !draining else { return }
        draining = true
        // Refuse new connections first: shutdown(2) on the listener ends the multishot accept
        // and makes the kernel reset new SYNs; the cancel covers a kernel that keeps it armed.
        shutdown(listenerFD, Int32(SHUT_RDWR))
        let cancel = ring.nextSQE()
        io_uring_prep_cancel64(cancel, UserData(slot: 0, operation: .accept).rawValue, 0)
        cancel.pointee.flags |= CURING_IOSQE_CQE_SKIP_SUCCESS
        cancel.pointee.user_data = UserData(slot: 0, operation: .cancel).rawValue
        var slot: UInt32 = 0
        while Int(slot) < table.highWater {
            let connection = table[slot]
            if connection.pointee.flags & ConnectionFlags.open != 0 {
                if isIdle(connection) {
                    closeConnection(slot: slot)
                } else if connection.pointee.pendingFlags & PendingResponse.owed != 0 {
                    connection.pointee.pendingFlags |= PendingResponse.close
                }
            }
            slot += 1
        }
        if statistics.value(.active) == 0 {
            exit = .drained
            return
        }
        // The deadline: one IORING_OP_TIMEOUT, relative, in the scratch block after the
        // eventfd's 8 bytes.
        let spec = (scratch + 16).assumingMemoryBound(to: __kernel_timespec.self)
        spec.pointee.tv_sec = Int64(shutdownTimeoutMilliseconds / 1000)
        spec.pointee.tv_nsec = Int64(shutdownTimeoutMilliseconds % 1000) * 1_000_000
        let sqe = ring.nextSQE()
        io_uring_prep_timeout(sqe, spec, 0, 0)
        sqe.pointee.user_data = UserData(slot: 0, operation: .timeout).rawValue
    }

    mutating func handleDrainDeadline() {
        guard exit == nil else { return }
        closeAll(reason: .timedOut)
    }

    /// Closes every connection and ends the loop with `reason`.
    mutating func closeAll(reason: WorkerExit) {
        if !draining {
            draining = true
            shutdown(listenerFD, Int32(SHUT_RDWR))
        }
        var slot: UInt32 = 0
        while Int(slot) < table.highWater {
            closeConnection(slot: slot)
            slot += 1
        }
        exit = reason
        ring.flushSubmissions()
    }
}
