// The worker's side of a streaming route's body (RequestBody.swift): its handler starts at
// the request's head with a BodyChannel, each decoded piece of body is pushed into it, and
// while a window's worth waits unread the connection's input waits too (held unparsed,
// receiving cancelled), until the handler's reading makes room and the context tells the
// worker after its batch (`bodyRoomMade`). The channel is an actor on this worker's executor,
// reached here with `assumeIsolated` (the worker's thread is its executor's).
import RingmasterHTTP

extension Worker {
    /// A streaming route's request whose body is still to come: its handler runs now, with a
    /// channel for the body. One that answers at once (a middleware refusing it) leaves the
    /// body to be read and dropped, as for any answered request.
    mutating func startStreamingHandler(slot: UInt32, handler: Int, head: RequestHead, in buffer: UnsafeRawBufferPointer) {
        let connection = table[slot]
        let context = handling.context
        let channel = BodyChannel(executor: context.executor, owner: WorkerBound((context, slot, connection.pointee.generation)))
        let fields = UnsafeBufferPointer(rebasing: scratch.headerFields[0..<head.headerCount])
        let id = handling.requestIDs.assign(slot: slot, fields: fields, in: buffer)
        let request = Request(head: head, bytes: buffer, fields: fields, body: UnsafeRawBufferPointer(start: nil, count: 0), client: acceptor[slot],
                              worker: context, parameters: handling.patterns.parameters(handler: handler, target: head.target(in: buffer)),
                              requestID: id, bodyChannel: channel)
        runHandler(slot: slot, handler: handler, request: request)
        guard connection.pointee.isOpen, connection.pointee.handlerState & HandlerState.deferred != 0 else { return }
        context.bodyChannels[slot] = channel
        connection.pointee.handlerState |= HandlerState.streamingBody
    }

    /// How many more received bytes the handler's channel takes before input waits (0: wait
    /// now; the channel then tells the worker when its handler has read enough).
    func channelRoom(slot: UInt32) -> Int {
        guard let channel = handling.context.bodyChannels[slot] else { return Int.max }
        return channel.assumeIsolated { $0.room() }
    }

    /// A decoded piece of a streaming route's body, for its handler (copied: it outlives the
    /// receive buffer).
    func pushToChannel(slot: UInt32, _ data: UnsafeRawBufferPointer) {
        guard let channel = handling.context.bodyChannels[slot] else { return }
        let piece = [UInt8](data)
        channel.assumeIsolated { $0.push(piece) }
    }

    /// The body ended: the handler reads what is left, then the end.
    mutating func channelEnded(slot: UInt32) {
        table[slot].pointee.handlerState &= ~HandlerState.streamingBody
        guard let channel = handling.context.bodyChannels.removeValue(forKey: slot) else { return }
        channel.assumeIsolated { $0.finish() }
    }

    /// The body turned out bad (over limits.body_bytes, broken chunk framing): the handler's
    /// read fails with the error's status and its task is cancelled; the worker answers the
    /// error itself (the caller's respondError), so the handler's late answer is dropped.
    mutating func cancelChannel(slot: UInt32, status: HTTPStatus) {
        detachChannel(slot: slot, HTTPError(status))
        let connection = table[slot]
        if connection.pointee.handlerState & HandlerState.deferred != 0 {
            handling.context.cancelTask(deferral: handling.slots[Int(slot)].deferralID)
            connection.pointee.handlerState &= ~HandlerState.deferred
        }
    }

    /// The body will not be read further (the handler answered first, or the connection
    /// closed): a read still waiting fails with `error`.
    mutating func detachChannel(slot: UInt32, _ error: any Error) {
        guard table[slot].pointee.handlerState & HandlerState.streamingBody != 0 else { return }
        table[slot].pointee.handlerState &= ~HandlerState.streamingBody
        guard let channel = handling.context.bodyChannels.removeValue(forKey: slot) else { return }
        channel.assumeIsolated { $0.fail(error) }
    }

    /// A handler read enough of its waiting body (WorkerContext.takeBodyRooms): the input that
    /// waited is parsed again.
    mutating func channelRoomMade(slot: UInt32, generation: UInt8) {
        guard Int(slot) < table.capacity else { return }
        let connection = table[slot]
        guard connection.pointee.isOpen, connection.pointee.generation == generation,
              connection.pointee.handlerState & HandlerState.streamingBody != 0 else { return }
        guard perform(connection.pointee.machine.uploadRoomMade(), slot: slot) else { return }
        updateTimer(slot: slot)
    }
}
