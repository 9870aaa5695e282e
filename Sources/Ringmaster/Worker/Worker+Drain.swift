// The worker's part of the coordinated shutdown (DESIGN.md, "Shutdown"): stop accepting,
// answer what was received with Connection: close, close idle connections, leave when the
// last one is gone or the deadline passes.
import Glibc

extension Worker {
    mutating func startDrain() {
        guard !lifecycle.draining else { return }
        lifecycle.draining = true
        // Refuse new connections first: shutdown(2) on the listener ends the pending accepts
        // and makes the kernel reset new SYNs; the cancel covers a kernel that keeps them armed.
        for fd in acceptor.listeners {
            shutdown(fd, SocketShutdown.both)
            ring.prepareCancelAll(fd: fd, userData: UserData(slot: 0, operation: .cancel))
        }
        var slot: UInt32 = 0
        while Int(slot) < table.highWater {
            let connection = table[slot]
            if connection.pointee.isOpen {
                if connection.pointee.pendingFlags & PendingResponse.owed != 0 {
                    connection.pointee.pendingFlags |= PendingResponse.close
                }
                perform(connection.pointee.machine.drainBegan(facts(slot)), slot: slot)
            }
            slot += 1
        }
        if link.statistics.value(.active) == 0 {
            lifecycle.exit = .drained
            return
        }
        // The deadline: one IORING_OP_TIMEOUT, relative, in the scratch block after the
        // eventfd's 8 bytes.
        ring.prepareTimeout(milliseconds: lifecycle.timeoutMilliseconds, spec: scratch.drainDeadline, userData: UserData(slot: 0, operation: .timeout))
    }

    mutating func handleDrainDeadline() {
        guard lifecycle.exit == nil else { return }
        closeAll(reason: .timedOut)
    }

    /// Closes every connection and ends the loop with `reason`.
    mutating func closeAll(reason: WorkerExit) {
        if !lifecycle.draining {
            lifecycle.draining = true
            shutdown(acceptor.listenerFD, SocketShutdown.both)
        }
        var slot: UInt32 = 0
        while Int(slot) < table.highWater {
            closeConnection(slot: slot)
            slot += 1
        }
        lifecycle.exit = reason
        ring.flushSubmissions()
    }
}
