// Swift handlers in the worker: a request to a handler route runs its handler on this thread,
// in place on the receive buffer when it has no body, or on the collected copy once its body
// is complete; the response is written into the connection's output like any other, in
// order with pipelined responses. A response larger than the room left in the output chunk
// waits whole in a chunk of its own until the output drains ("held").
import RingmasterHTTP

extension Worker {
    /// The index of the code handler answering `route`, or nil for any other kind of answer.
    @inline(__always)
    func handlerIndex(route: UInt8) -> Int? {
        guard Int(route) < routing.responses.routeCount, case .handler(let index) = routing.responses.kind(of: Int(route)) else { return nil }
        return index
    }

    /// Runs handler `handler` for a request without a body, on the bytes where they were parsed.
    mutating func answerHandler(slot: UInt32, handler: Int, head: RequestHead, in buffer: UnsafeRawBufferPointer) {
        let id = handling.requestIDs.assign(slot: slot, fields: UnsafeBufferPointer(rebasing: scratch.headerFields[0..<head.headerCount]), in: buffer)
        let request = Request(head: head, bytes: buffer, fields: UnsafeBufferPointer(scratch.headerFields),
                              body: UnsafeRawBufferPointer(start: nil, count: 0), client: acceptor[slot], worker: handling.context,
                              parameters: handling.patterns.parameters(handler: handler, target: head.target(in: buffer)), requestID: id)
        runHandler(slot: slot, handler: handler, request: request)
    }

    /// A handler request with a body: copies the head out of the receive buffer, which is
    /// recycled before the body completes; the body is appended by `collectBody`.
    mutating func beginCollecting(slot: UInt32, head: RequestHead, in buffer: UnsafeRawBufferPointer) {
        var expected = 0
        // Room for the whole announced body up to the retained size; past it the buffer grows
        // as bytes arrive, so a large Content-Length alone reserves nothing large.
        if case .contentLength(let length) = head.framing { expected = Int(min(length, UInt64(RequestStore.retainedCapacity))) }
        let id = handling.store.begin(head: head, in: buffer, fields: scratch.headerFields, expectedBody: expected)
        let connection = table[slot]
        if connection.pointee.handlerState == 0 { handling.slots[Int(slot)] = HandlerSlot() }
        handling.slots[Int(slot)].request = id
        connection.pointee.handlerState |= HandlerState.collecting
    }

    /// Decoded body bytes of a handler request (the body decoder already framed them).
    @inline(__always)
    mutating func collectBody(slot: UInt32, _ bytes: UnsafeRawBufferPointer) {
        guard table[slot].pointee.handlerState & HandlerState.collecting != 0 else { return }
        handling.store.append(handling.slots[Int(slot)].request, bytes)
    }

    /// The body of a handler request is complete: runs the handler on the collected copy.
    mutating func answerCollectedHandler(slot: UInt32, handler: Int) {
        let connection = table[slot]
        guard connection.pointee.handlerState & HandlerState.collecting != 0 else {
            // Not collected (cannot happen: handler routes keep their indices across reloads).
            connection.pointee.pendingFlags = 0
            commit(slot: slot, Worker.text(.internalServerError, Worker.handlerFailureBody, headOnly: false), close: true)
            return
        }
        let id = handling.slots[Int(slot)].request
        connection.pointee.handlerState &= ~HandlerState.collecting
        let parts = handling.store.request(id)
        let requestID = handling.requestIDs.assign(slot: slot, fields: parts.fields, in: parts.bytes)
        let request = Request(head: parts.head, bytes: parts.bytes, fields: parts.fields, body: parts.body, client: acceptor[slot],
                              worker: handling.context,
                              parameters: handling.patterns.parameters(handler: handler, target: parts.head.target(in: parts.bytes)),
                              requestID: requestID)
        runHandler(slot: slot, handler: handler, request: request)
        handling.store.release(id)
    }

    /// Calls the handler and sends or defers what it wrote.
    mutating func runHandler(slot: UInt32, handler: Int, request: borrowing Request) {
        let connection = table[slot]
        let pending = connection.pointee.pendingFlags
        connection.pointee.pendingFlags = 0
        var response = Response(scratch: handling.scratch, worker: handling.context, slot: slot, generation: connection.pointee.generation)
        handling.router.handlers[handler](request, &response)
        if response.deferralID != 0 {
            recordDeferral(slot: slot, id: response.deferralID, flags: pending, handler: handler)
            return
        }
        let close = pending & PendingResponse.close != 0
        // A file answer can still read the request's validators and Range (not once deferred).
        let fields = response.filePath == nil ? nil : request.fileFields
        appendHandlerResponse(slot: slot, &response, close: close, headOnly: pending & PendingResponse.headOnly != 0, handler: handler,
                              fields: fields)
    }

    /// Writes `response` after what the connection already has queued (held whole in a
    /// chunk of its own when the output has no room left for it).
    mutating func appendHandlerResponse(slot: UInt32, _ response: inout Response, close: Bool, headOnly: Bool, handler: Int,
                                        fields: FileRequestFields? = nil) {
        // The request id goes back with the answer and into the JSON access log line.
        let id = handling.requestIDs.id(slot: slot)
        response.addRequestID(id)
        accessLog.requestID = id
        defer { accessLog.requestID = nil }
        var answer = handlerAnswer(response, headOnly: headOnly, handler: handler, fields: fields)
        if let writer = response.bodyWriter {
            // A streamed async body: chunked, or until the close when this is the last answer.
            if case .response(var head, _) = answer, response.problem == nil {
                head.framing = close ? .untilClose : .chunked
                answer = .response(head, headOnly || response.forbidsBody ? .none : .writer)
            }
            commit(slot: slot, answer, close: close)
            attachWriter(writer, slot: slot)
            return
        }
        commit(slot: slot, answer, close: close)
        // A handler's streamed body block came with its own reference (streamedHandlerBody).
        if case .response(_, .stream(.memory(let block, _), _, _)) = answer { block.release() }
    }

    /// The answer a handler's response makes: its head and body, a file, or a 500 in place of
    /// one that cannot be sent as written.
    mutating func handlerAnswer(_ response: borrowing Response, headOnly: Bool, handler: Int, fields: FileRequestFields?) -> Answer {
        if let failure = response.problem {
            logHandlerFailure(failure, handler: handler, response: response)
            return Worker.text(.internalServerError, Worker.handlerFailureBody, headOnly: headOnly)
        }
        // 204 and 304 never carry a body, however it was written (RFC 9110 §15.3.5, §15.4.5).
        let headOnly = headOnly || response.forbidsBody
        if let path = response.filePath { return handlerFileAnswer(path: path, response, fields: fields, headOnly: headOnly) }
        let head = AnswerHead(status: response.status, contentType: response.contentTypeBytes, contentLength: UInt64(response.bodyLength),
                              extraHeaders: response.headerBytes)
        if headOnly || response.bodyLength == 0 { return .response(head, .none) }
        let headRoom = 256 + routing.responses.serverName.count + response.contentTypeLength + response.headerLength
        if headRoom + response.bodyLength <= slab.chunkSize { return .response(head, .inline(response.bodyBytes)) }
        // Larger than a chunk: the head now, the body through a body stream after it.
        return streamedHandlerBody(response, head: head, headOnly: headOnly)
    }

    /// The output chunk drained: a held response becomes the output. Returns whether one did.
    @discardableResult
    mutating func installHeldOutput(slot: UInt32) -> Bool {
        let connection = table[slot]
        guard connection.pointee.handlerState & HandlerState.held != 0 else { return false }
        connection.pointee.handlerState &= ~HandlerState.held
        connection.pointee.outChunk = handling.slots[Int(slot)].heldChunk
        connection.pointee.outStart = 0
        connection.pointee.outLength = handling.slots[Int(slot)].heldLength
        return true
    }

    /// Gives back what a closing connection's handler state holds: a collected request and a
    /// held response chunk (a deferral ends with the record; its late finish is a no-op).
    mutating func releaseHandlerState(slot: UInt32) {
        let state = table[slot].pointee.handlerState
        if state & HandlerState.proxied != 0 { abandonExchange(slot: slot) }
        if state & HandlerState.streamingBody != 0 { detachChannel(slot: slot, CancellationError()) }
        if state & HandlerState.streamingResponse != 0 { detachWriter(slot: slot) }
        if state & HandlerState.collecting != 0 { handling.store.release(handling.slots[Int(slot)].request) }
        if state & HandlerState.held != 0 { slab.release(handling.slots[Int(slot)].heldChunk) }
        // An async handler still running for a connection that is gone: cancelled.
        if state & HandlerState.deferred != 0 { handling.context.cancelTask(deferral: handling.slots[Int(slot)].deferralID) }
        table[slot].pointee.handlerState = 0
    }

    func logHandlerFailure(_ failure: ResponseFailure, handler: Int, response: borrowing Response) {
        let what: String
        switch failure {
        case .bodyTooLarge:
            what = "response body over \(Response.maxBodyLength) bytes, or its memory could not be allocated"
        case .headersTooLarge: what = "response headers exceed \(ResponseScratch.headerCapacity) bytes"
        case .invalidStatus: what = "status \(response.status.rawValue) cannot end a response"
        }
        link.logger.error("worker \(link.index): \(handling.name(of: handler)): \(what); answered 500")
    }
}
