// Responses finished later and handler timers. A handler that defers leaves the connection
// owing a response: later pipelined requests wait in the carry chunk (reserveOutputRoom says
// no room) until `finish` is called on the same worker. Finishes and timers asked for by
// handlers are queued on the WorkerContext and acted on here, after each batch of
// completions, never from inside the handler that asked (the worker is mid-update then).
import Glibc
import RingmasterHTTP

extension Worker {
    /// The handler deferred: the connection owes its response until `finish`.
    mutating func recordDeferral(slot: UInt32, id: UInt32, flags: UInt8, handler: Int) {
        let connection = table[slot]
        if connection.pointee.handlerState == 0 { handling.slots[Int(slot)] = HandlerSlot() }
        handling.slots[Int(slot)].deferralID = id
        handling.slots[Int(slot)].deferredFlags = flags
        handling.slots[Int(slot)].deferredHandler = UInt16(truncatingIfNeeded: handler)
        connection.pointee.handlerState |= HandlerState.deferred
    }

    /// Runs the async handlers' jobs, arms the timers handlers asked for and writes the
    /// responses they finished, until neither is left (a finish may run handlers of pipelined
    /// requests that ask for more, whose async tasks enqueue jobs), for at most 16 rounds.
    mutating func runHandlerWork() {
        let context = handling.context
        var rounds = 0
        repeat {
            // Async handlers' jobs first (WorkerExecutor): what they finish is written below.
            context.executor.runJobs()
            while context.hasWork {
                for id in context.takeUnarmedTimers() { armHandlerTimer(id: id) }
                for room in context.takeBodyRooms() { channelRoomMade(slot: room.slot, generation: room.generation) }
                while let finish = context.nextFinish() {
                    finishDeferred(finish)
                    for id in context.takeUnarmedTimers() { armHandlerTimer(id: id) }
                }
                // After the finishes: a streamed body's head is out before its first write.
                for event in context.takeWriterEvents() { writerEvent(slot: event.slot, generation: event.generation) }
            }
            rounds += 1
        } while context.executor.hasJobs && rounds < 16
        // Tasks that keep yielding: the ring gets its turn, and the eventfd ends its wait.
        if context.executor.hasJobs { context.executor.wake() }
    }

    /// Writes a finished deferred response, then serves what waited behind it. Nothing
    /// happens when the connection closed (slot reused, generation bumped) or the deferral
    /// was already finished.
    mutating func finishDeferred(_ finish: PendingFinish) {
        let slot = finish.slot
        guard Int(slot) < table.capacity else { return }
        let connection = table[slot]
        guard connection.pointee.isOpen, connection.pointee.generation == finish.generation,
              connection.pointee.handlerState & HandlerState.deferred != 0,
              handling.slots[Int(slot)].deferralID == finish.id else { return }
        connection.pointee.handlerState &= ~HandlerState.deferred
        let flags = handling.slots[Int(slot)].deferredFlags
        let handler = Int(handling.slots[Int(slot)].deferredHandler)
        var response = Response(scratch: handling.scratch, worker: handling.context, slot: slot, generation: finish.generation)
        finish.body(&response)
        if response.deferralID != 0 {
            // Deferred again from inside finish.
            recordDeferral(slot: slot, id: response.deferralID, flags: flags, handler: handler)
            return
        }
        // A streaming route answered before its body ended: the rest is not read (no one
        // would), so the connection closes after the answer.
        let bodyUnread = connection.pointee.handlerState & HandlerState.streamingBody != 0
        if bodyUnread { detachChannel(slot: slot, CancellationError()) }
        // A drain began, or the peer shut its side, while the response was owed: it is the last.
        var close = flags & PendingResponse.close != 0 || lifecycle.draining || connection.pointee.machine.isClosing || bodyUnread
        // A streamed body to an HTTP/1.0 client runs until the close: it cannot be chunked.
        if response.bodyWriter != nil && flags & PendingResponse.http10 != 0 { close = true }
        appendHandlerResponse(slot: slot, &response, close: close, headOnly: flags & PendingResponse.headOnly != 0, handler: handler)
        guard connection.pointee.generation == finish.generation, connection.pointee.isOpen else { return }
        // Sends it, and serves the pipelined requests that waited behind it once it is out.
        guard perform(connection.pointee.machine.answerProgressed(facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// One-shot relative IORING_OP_TIMEOUT for handler timer `id`; the kernel copies the
    /// timespec when the SQE is submitted (io_timeout_prep), and the id's timespec lives
    /// until the id is reused after its completion.
    mutating func armHandlerTimer(id: UInt32) {
        let (raw, milliseconds) = handling.context.timer(id)
        ring.prepareTimeout(milliseconds: milliseconds, spec: raw, userData: UserData(slot: id, operation: .handlerTimer))
    }

    /// A handler timer expired (-ETIME): run its callback; what it queues runs after the batch.
    mutating func handleHandlerTimer(_ data: UserData, _ completion: Completion) {
        guard let callback = handling.context.fire(data.slot), completion.outcome == .expired || completion.outcome == .done(0), lifecycle.exit == nil else { return }
        callback()
    }
}
