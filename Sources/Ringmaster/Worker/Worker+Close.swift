// Closing: cancel the connection's pending operations, then close its direct descriptor,
// linked so the close runs after the cancel; the generation bump makes later CQEs stale.
extension Worker {
    /// Closes the connection in `slot`. An in-flight send keeps its chunk until its
    /// completion arrives (stale by then), since the kernel may still read it.
    mutating func closeConnection(slot: UInt32) {
        let connection = table[slot]
        guard connection.pointee.isOpen else { return }
        // A receive still armed (or being cancelled) or a send in flight needs the cancel; a
        // multishot recv that already ended (EOF, error, ENOBUFS: no F_MORE) does not
        // (issue 15, item 2).
        var inFlight = connection.pointee.machine.hasOperationInFlight
        // A TLS session's close_notify (or alert) goes out just before the close.
        var farewell: (bytes: UnsafeRawPointer, count: Int, chunk: UInt32)?
        let oldGeneration = connection.pointee.generation
        if tls.isOn(slot) {
            inFlight = inFlight || tls[slot].pointee.inFlight > 0
            farewell = tlsFarewell(slot: slot)
            tls.close(slot, slab: &slab)
        }
        if !connection.pointee.machine.isSending && connection.pointee.outChunk != ChunkSlab.none {
            slab.release(connection.pointee.outChunk)
        }
        releaseCarry(slot: slot)
        releaseHeldInput(slot: slot)
        releaseStream(slot: slot)
        routing.retired.forget(epoch: connection.pointee.tableEpoch, owed: connection.pointee.pendingFlags & PendingResponse.owed != 0)
        if connection.pointee.handlerState != 0 { releaseHandlerState(slot: slot) }
        wheel.clear(slot)
        // Safe: the generation is an 8-bit wrapping counter.
        let generation = connection.pointee.generation &+ 1
        connection.pointee = ConnectionRecord(generation: generation)
        let closeData = UserData(slot: slot, operation: .close, generation: generation)
        if inFlight { ring.prepareCancelAll(slot: slot, userData: UserData(slot: slot, operation: .cancel, generation: generation)) }
        if let farewell {
            // Its completion is stale (the old generation) and frees the chunk.
            ring.prepareFarewellSend(slot: slot, bytes: farewell.bytes, count: farewell.count,
                                     userData: UserData(slot: slot, operation: .tlsSend, buffer: UInt16(truncatingIfNeeded: farewell.chunk), generation: oldGeneration))
        }
        ring.prepareCloseDirect(slot: slot, userData: closeData)
        link.statistics.subtract(.active)
        link.statistics.add(.closed)
        if lifecycle.draining && link.statistics.value(.active) == 0 { lifecycle.exit = .drained }
    }
}
