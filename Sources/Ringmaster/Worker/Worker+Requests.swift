// From bytes to responses: every complete request in the input gets its response appended,
// in order, to the connection's output (pipelining); bodies are consumed so the next request
// parses; a malformed request gets its 4xx/5xx and the connection closes after it.
import RingmasterHTTP

extension Worker {
    /// Consumes requests from the start of `input`; returns the bytes consumed. Stops early at
    /// an incomplete head (the caller carries the rest) or when the output has no room for
    /// another response (backpressure: the rest waits until the send completes).
    mutating func processInput(slot: UInt32, _ input: UnsafeRawBufferPointer) -> Int {
        let connection = table[slot]
        let generation = connection.pointee.generation
        var offset = 0
        if connection.pointee.awaitsProxyHeader {
            guard let length = takeProxyHeader(slot: slot, input) else { return connection.pointee.isOpen ? 0 : input.count }
            offset = length
        }
        // When the head of a request still waiting for its body was completed (metrics).
        var bodyStarted: UInt64 = 0
        while offset < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            if !connection.pointee.body.isComplete {
                switch consumeBody(slot: slot, rest) {
                case .more(let consumed):
                    offset += consumed
                case .stalled:
                    return offset
                case .ended(let consumed):
                    offset += consumed
                    if answerQueued(slot: slot, generation: generation) { link.statistics.recordDuration(since: bodyStarted) }
                    bodyStarted = 0
                case .failed:
                    return input.count
                }
                continue
            }
            if !connection.pointee.machine.acceptsRequests { return input.count }
            guard reserveOutputRoom(slot: slot) else {
                // Backpressure: the rest waits (and receiving stops) until the output drains.
                perform(connection.pointee.machine.outputFull(), slot: slot)
                return offset
            }
            switch RequestParser.parseHead(rest, headers: scratch.headerFields, limits: policy.limits) {
            case .needMore:
                return offset
            case .error(let status):
                respondError(slot: slot, status: status)
                return input.count
            case .complete(let head):
                offset += head.headLength
                link.statistics.add(.requests)
                connection.pointee.requests &+= 1
                let started = link.statistics.durationStart()
                handleRequest(slot: slot, head: head, in: rest)
                if connection.pointee.generation != generation { return input.count }
                if answerQueued(slot: slot, generation: generation) { link.statistics.recordDuration(since: started) } else { bodyStarted = started }
            }
        }
        return offset
    }

    /// Reads the PROXY protocol header the listener expects before the first request and
    /// takes its client address (docs/client-address.md). Returns the header's length, or nil
    /// when more bytes are needed or the connection was refused (closed without an answer:
    /// what sent it speaks no HTTP we should trust, so nothing is written back, as HAProxy
    /// and nginx do).
    mutating func takeProxyHeader(slot: UInt32, _ input: UnsafeRawBufferPointer) -> Int? {
        let connection = table[slot]
        // The carry chunk is where a split header waits, so it bounds the header.
        switch ProxyHeader.parse(input, maxLength: slab.chunkSize) {
        case .needMore:
            return nil
        case .invalid:
            link.statistics.add(.proxyHeaderErrors)
            perform(connection.pointee.machine.failed(), slot: slot)
            return nil
        case .complete(let length, let source, _):
            link.statistics.add(.proxyHeaders)
            connection.pointee.awaitsProxyHeader = false
            if source.family != .unknown { acceptor[slot] = source }
            return length
        }
    }

    /// Chooses the answer; sends it now, or once the request body has been consumed.
    mutating func handleRequest(slot: UInt32, head: RequestHead, in buffer: UnsafeRawBufferPointer) {
        let connection = table[slot]
        if policy.realIP.enabled {
            // Before anything reads the client: the access log, handlers, X-Forwarded-For.
            acceptor[slot] = policy.realIP.client(slot: slot, current: acceptor[slot], first: connection.pointee.requests == 1,
                                           fields: UnsafeBufferPointer(rebasing: scratch.headerFields[0..<head.headerCount]), in: buffer)
        }
        if accessLog.enabled { logRequestHead(slot: slot, head: head, in: buffer) }
        guard head.method != .connect, head.method != .other else {
            // No route serves CONNECT or an unknown method: refused as soon as the head is
            // complete, not after a body that may never come (RFC 9110 §9.1: 501).
            respondError(slot: slot, status: .notImplemented)
            return
        }
        if policy.httpsRedirect.enabled && !tls.isOn(slot) {
            redirectToHTTPS(slot: slot, head: head, in: buffer)
            return
        }
        switch routing.responses.match(target: head.target(in: buffer), method: head.method) {
        case .route(let route): connection.pointee.pendingRoute = UInt8(truncatingIfNeeded: route)
        case .methodNotAllowed(let allowed):
            connection.pointee.pendingRoute = RouteAnswer.methodNotAllowedIndex
            connection.pointee.allowedMethods = allowed.rawValue
        case .notFound: connection.pointee.pendingRoute = RouteAnswer.notFoundIndex
        }
        connection.pointee.tableEpoch = routing.retired.epoch
        link.statistics.recordRoute(index: Int(connection.pointee.pendingRoute))
        var pending = PendingResponse.owed
        if head.method == .head { pending |= PendingResponse.headOnly }
        if !head.keepAlive || lifecycle.draining { pending |= PendingResponse.close }
        if head.version == .http10 { pending |= PendingResponse.http10 }
        let body = BodyDecoder(framing: head.framing)
        let route = Int(connection.pointee.pendingRoute)
        if route < routing.responses.routeCount && routing.responses.kind(of: route) == .directory {
            // Files are answered now, while the head's fields (validators, Range,
            // Accept-Encoding) are still in the buffer. A body on a GET means nothing here: it
            // is read and dropped, and the connection closes after the answer, so a client
            // holding it back for 100-continue is not left waiting.
            let close = pending & PendingResponse.close != 0 || !body.isComplete
            // Owed while serveFile runs, so a refused path's error logs the request.
            connection.pointee.pendingFlags = PendingResponse.owed
            let answer = files.serve(route: route, head: head, in: buffer, fields: UnsafeBufferPointer(scratch.headerFields), responses: routing.responses,
                                     date: routing.date, headOnly: head.method == .head)
            if case .error(let status) = answer { respondError(slot: slot, status: status) } else { commit(slot: slot, answer, close: close) }
            guard connection.pointee.isOpen, connection.pointee.machine.acceptsRequests || close else { return }
            connection.pointee.pendingFlags = 0
            connection.pointee.body = body
            return
        }
        connection.pointee.pendingFlags = pending
        if connection.pointee.pendingRoute == RouteAnswer.methodNotAllowedIndex && !body.isComplete {
            // No route serves this method on this path: refused now, not after a body that
            // may never come. A body that does come is read and dropped, as nginx discards
            // it, so the connection stays usable; a client that holds its body back for
            // 100-continue gets no 100 and will not send it, so that connection closes after
            // the 405 (RFC 9110 §10.1.1).
            if head.expectContinue {
                connection.pointee.pendingFlags |= PendingResponse.close
                answerPending(slot: slot)
                connection.pointee.machine.answerQueued(closes: true, isError: true)
                return
            }
            answerPending(slot: slot)
            connection.pointee.body = body
            return
        }
        if route < routing.responses.routeCount && routing.responses.kind(of: route) == .proxy {
            proxyRequest(slot: slot, head: head, in: buffer, body: body)
            return
        }
        let handler = handlerIndex(route: connection.pointee.pendingRoute)
        if body.isComplete {
            // No body, or Content-Length: 0: nothing to wait for.
            if let handler { answerHandler(slot: slot, handler: handler, head: head, in: buffer) } else { answerPending(slot: slot) }
            return
        }
        connection.pointee.body = body
        // RFC 9110 §10.1.1: tell the client to send the body it is holding back (before a
        // streaming handler runs, so that an answer it gives at once comes after the 100).
        if head.expectContinue && head.version == .http11 { appendOutput(slot: slot, Worker.continueResponse) }
        if let handler, handling.router.streamsBody[handler] {
            startStreamingHandler(slot: slot, handler: handler, head: head, in: buffer)
        } else if handler != nil {
            beginCollecting(slot: slot, head: head, in: buffer)
        }
    }

    /// A request on the plain port beside a TLS listener: its https address (HTTPSRedirect).
    /// A body is read and dropped. One already here in full (a small form) keeps the
    /// connection; one still to come (or held back for 100-continue, or chunked) closes it
    /// after the answer, as nginx's `return` does: a client redirected elsewhere has no
    /// reason to finish an upload here. No Host to redirect to: 400.
    mutating func redirectToHTTPS(slot: UInt32, head: RequestHead, in buffer: UnsafeRawBufferPointer) {
        let connection = table[slot]
        guard let location = policy.httpsRedirect.locationHeader(head: head, in: buffer, fields: UnsafeBufferPointer(scratch.headerFields)) else {
            respondError(slot: slot, status: .badRequest)
            return
        }
        let body = BodyDecoder(framing: head.framing)
        var bodyHere = body.isComplete
        if case .contentLength(let length) = head.framing, !head.expectContinue { bodyHere = length <= UInt64(buffer.count - head.headLength) }
        let close = !head.keepAlive || lifecycle.draining || !bodyHere
        connection.pointee.pendingFlags = PendingResponse.owed
        commit(slot: slot, Worker.text(HTTPSRedirect.status(for: head.method), Worker.bytes(""), headers: location, headOnly: head.method == .head),
               close: close)
        guard connection.pointee.isOpen, connection.pointee.machine.acceptsRequests || close else { return }
        connection.pointee.pendingFlags = 0
        connection.pointee.body = body
    }

    /// Appends the response owed to the connection, from the route table its request matched.
    mutating func answerPending(slot: UInt32) {
        let connection = table[slot]
        let pending = connection.pointee.pendingFlags
        guard pending & PendingResponse.owed != 0 else { return }
        let close = pending & PendingResponse.close != 0
        let headOnly = pending & PendingResponse.headOnly != 0
        let route = connection.pointee.pendingRoute
        let epoch = connection.pointee.tableEpoch
        let answer = epoch == routing.retired.epoch
            ? RouteAnswer.of(route: route, in: routing.responses, close: close, headOnly: headOnly, draining: lifecycle.draining)
            : routing.retired.answer(epoch: epoch, route: route, close: close, headOnly: headOnly, draining: lifecycle.draining)
        if case .handler(let handler) = answer {
            answerCollectedHandler(slot: slot, handler: handler)
            return
        }
        if case .proxy = answer {
            proxyCollected(slot: slot)
            return
        }
        connection.pointee.pendingFlags = 0
        switch answer {
        case .prebuilt(let bytes, let status, let bodyBytes):
            commit(slot: slot, .prebuilt(bytes, status: status, bodyBytes: bodyBytes), close: close)
        case .draining:
            // Draining: tell the load balancer to stop sending before the listener closes.
            commit(slot: slot, Worker.text(.serviceUnavailable, Worker.bytes("draining\n"), headOnly: headOnly), close: close)
        case .metrics:
            // Counted first: the exposition includes its own response.
            link.statistics.recordStatus(200)
            let metrics = metricsAnswer(headOnly: headOnly)
            commit(slot: slot, metrics, close: close, counted: true)
            if case .response(_, .stream(.memory(let block, _), _, _)) = metrics { block.release() }
        case .methodNotAllowed:
            let allow = Worker.writeAllowHeader(MethodSet(rawValue: connection.pointee.allowedMethods), into: scratch.allow)
            commit(slot: slot, Worker.text(.methodNotAllowed, Worker.methodNotAllowedBody, headers: allow, headOnly: headOnly), close: close)
        case .notFound, .file, .handler, .proxy:
            // A file route is answered at its head; never owed here.
            commit(slot: slot, Worker.text(.notFound, Worker.notFoundBody, headOnly: headOnly), close: close)
        }
        routing.retired.forget(epoch: epoch, owed: true)
    }

    /// "Allow: GET, HEAD\r\n" for `methods`, written into `scratch` (128 bytes; RFC 9110
    /// §10.2.1). A plain counter loop: iterating a ClosedRange<UInt8> goes through an
    /// unspecialised IndexingIterator in debug builds, which allocates (the allocation test
    /// found it).
    static func writeAllowHeader(_ methods: MethodSet, into scratch: UnsafeMutableRawPointer) -> UnsafeRawBufferPointer {
        var length = 0
        Worker.append("Allow: ", to: scratch, at: &length)
        var first = true
        var raw: UInt8 = 0
        while raw <= 6 {
            defer { raw += 1 }
            guard let method = HTTPMethod(rawValue: raw), methods.contains(method) else { continue }
            if !first { Worker.append(", ", to: scratch, at: &length) }
            first = false
            let name: StaticString
            switch method {
            case .get: name = "GET"
            case .head: name = "HEAD"
            case .post: name = "POST"
            case .put: name = "PUT"
            case .delete: name = "DELETE"
            case .options: name = "OPTIONS"
            default: name = "PATCH"
            }
            Worker.append(name, to: scratch, at: &length)
        }
        Worker.append("\r\n", to: scratch, at: &length)
        return UnsafeRawBufferPointer(start: scratch, count: length)
    }

    @inline(__always)
    static func append(_ text: StaticString, to base: UnsafeMutableRawPointer, at length: inout Int) {
        (base + length).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        length += text.utf8CodeUnitCount
    }
}
