// Where the ConnectionMachine meets the ring: the facts the machine decides on, read from the
// worker's buffers, and the one place its actions become SQEs and buffer work.
extension Worker {
    /// What the connection's buffers say, for the machine.
    @inline(__always)
    func facts(_ slot: UInt32) -> ConnectionFacts {
        let record = table[slot].pointee
        return ConnectionFacts(
            outputPending: record.outLength > record.outStart || record.handlerState & HandlerState.held != 0
                || (record.stream != BodyStreams.none && (record.handlerState & HandlerState.streamingResponse == 0 || writerHasBytes(record.stream))),
            // A streamed async body still being written is owed, not pending, while its buffer
            // is empty: the writer may take its time (the idle timeout bounds it).
            answerOwed: record.pendingFlags & PendingResponse.owed != 0
                || record.handlerState & (HandlerState.deferred | HandlerState.proxied | HandlerState.streamingResponse) != 0,
            bodyIncomplete: !record.body.isComplete,
            partialHead: record.carryLength > 0,
            handshaking: tls.isOn(slot) && tls[slot].pointee.handshaking)
    }

    /// Carries out `actions` for `slot` in their listed order. Returns false when the
    /// connection was closed (or its slot reused) on the way.
    @inline(__always)
    @discardableResult
    mutating func perform(_ actions: ConnectionActions, slot: UInt32) -> Bool {
        if actions.isEmpty { return true }
        let generation = table[slot].pointee.generation
        if actions.contains(.close) {
            closeConnection(slot: slot)
            return false
        }
        if actions.contains(.stopReceiving) {
            link.statistics.add(.receivePauses)
            ring.prepareCancelRecv(slot: slot, userData: UserData(slot: slot, operation: .cancel, generation: generation))
        }
        if actions.contains(.park) { park(slot: slot) }
        if actions.contains(.armReceive) { submitRecv(slot: slot) }
        if actions.contains(.answerTimeout) { respondError(slot: slot, status: .requestTimeout) }
        if actions.contains(.shutdownWrite) {
            // Nothing held will be parsed now: the buffers go back to the pool at once.
            releaseHeldInput(slot: slot)
            link.statistics.add(.lingeringCloses)
            // TLS: the close_notify first, so the client reads the end of the stream as a clean one.
            if tls.isOn(slot), let farewell = tlsFarewell(slot: slot) {
                ring.prepareFarewellSend(slot: slot, bytes: farewell.bytes, count: farewell.count,
                                         userData: UserData(slot: slot, operation: .tlsSend, buffer: UInt16(truncatingIfNeeded: farewell.chunk), generation: generation))
            }
            ring.prepareShutdownWrite(slot: slot, userData: UserData(slot: slot, operation: .shutdown, generation: generation))
        }
        if actions.contains(.resumeInput) { resumeInput(slot: slot) }
        guard table[slot].pointee.generation == generation, table[slot].pointee.isOpen else { return false }
        if actions.contains(.send) { flushOutput(slot: slot) }
        return table[slot].pointee.generation == generation && table[slot].pointee.isOpen
    }

    /// Gives the connection the timer its state calls for (the machine chooses).
    @inline(__always)
    mutating func updateTimer(slot: UInt32) {
        let state = facts(slot)
        guard let kind = table[slot].pointee.machine.chooseTimer(state) else { return }
        wheel.set(slot, seconds: policy.timeouts.seconds(kind))
    }
}
