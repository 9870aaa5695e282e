// Closing: cancel the connection's pending operations, then close its direct descriptor,
// linked so the close runs after the cancel; the generation bump makes later CQEs stale.
import CURing
import Glibc

extension Worker {
    /// Closes the connection in `slot`. An in-flight send keeps its chunk until its
    /// completion arrives (stale by then), since the kernel may still read it.
    mutating func closeConnection(slot: UInt32) {
        let connection = table[slot]
        guard connection.pointee.flags & ConnectionFlags.open != 0 else { return }
        // A receive still armed or a send in flight needs the cancel; a multishot recv that
        // already ended (EOF, error, ENOBUFS: no F_MORE) does not (issue 15, item 2).
        let inFlight = connection.pointee.flags & (ConnectionFlags.receiving | ConnectionFlags.sending) != 0
        if connection.pointee.flags & ConnectionFlags.sending == 0 && connection.pointee.outChunk != ChunkSlab.none {
            slab.release(connection.pointee.outChunk)
        }
        releaseCarry(slot: slot)
        releaseStream(slot: slot)
        if connection.pointee.handlerState != 0 { releaseHandlerState(slot: slot) }
        wheel.clear(slot)
        // Safe: the generation is an 8-bit wrapping counter.
        let generation = connection.pointee.generation &+ 1
        connection.pointee = ConnectionRecord(generation: generation)
        prepareClose(slot: slot, generation: generation, cancel: inFlight)
        statistics.subtract(.active)
        statistics.add(.closed)
        if draining && statistics.value(.active) == 0 { exit = .drained }
    }

    /// With `cancel`, cancel every request on the fixed descriptor (IORING_ASYNC_CANCEL_FD_FIXED
    /// | ALL, Linux 6.0), hard-linked to the direct close (Linux 5.15) so the close waits for
    /// the cancel even when it found nothing; without it (nothing in flight), the close alone.
    /// Neither posts a CQE on success.
    mutating func prepareClose(slot: UInt32, generation: UInt8, cancel needsCancel: Bool = true) {
        if needsCancel {
            let cancel = ring.nextSQE()
            io_uring_prep_cancel_fd(cancel, Int32(slot), UInt32(IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_ALL))
            cancel.pointee.flags |= CURING_IOSQE_IO_HARDLINK | CURING_IOSQE_CQE_SKIP_SUCCESS
            cancel.pointee.user_data = UserData(slot: slot, operation: .cancel, generation: generation).rawValue
        }
        let close = ring.nextSQE()
        io_uring_prep_close_direct(close, slot)
        close.pointee.flags |= CURING_IOSQE_CQE_SKIP_SUCCESS
        close.pointee.user_data = UserData(slot: slot, operation: .close, generation: generation).rawValue
    }
}
