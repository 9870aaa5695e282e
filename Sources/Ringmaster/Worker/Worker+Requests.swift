// From bytes to responses: every complete request in the input gets its response appended,
// in order, to the connection's output (pipelining); bodies are consumed so the next request
// parses; a malformed request gets its 4xx/5xx and the connection closes after it.
import RingmasterHTTP

/// What a request is answered with, stored in `ConnectionRecord.pendingRoute` while its body
/// is being consumed.
enum Answer {
    static let notFound: UInt8 = 255
    static let methodNotAllowed: UInt8 = 254
    /// Route indices stay below this (the table holds at most 250 routes).
    static let maxRoutes = 250
}

extension Worker {
    /// Consumes requests from the start of `input`; returns the bytes consumed. Stops early at
    /// an incomplete head (the caller carries the rest) or when the output has no room for
    /// another response (backpressure: the rest waits until the send completes).
    mutating func processInput(slot: UInt32, _ input: UnsafeRawBufferPointer) -> Int {
        let connection = table[slot]
        let generation = connection.pointee.generation
        var offset = 0
        // When the head of a request still waiting for its body was completed (metrics).
        var bodyStarted: UInt64 = 0
        while offset < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            if !connection.pointee.body.isComplete {
                let step = connection.pointee.body.decode(rest, limits: limits)
                if step.dataLength > 0 {
                    collectBody(slot: slot, UnsafeRawBufferPointer(rebasing: rest[step.dataStart..<step.dataStart + step.dataLength]))
                }
                offset += step.consumed
                switch step.state {
                case .more: if step.consumed == 0 { return offset }
                case .done:
                    answerPending(slot: slot)
                    if answerQueued(slot: slot, generation: generation) { statistics.recordDuration(since: bodyStarted) }
                    bodyStarted = 0
                case .error(let status):
                    respondError(slot: slot, status: status)
                    return input.count
                }
                continue
            }
            if connection.pointee.flags & ConnectionFlags.closeAfterSend != 0 { return input.count }
            guard reserveOutputRoom(slot: slot) else {
                connection.pointee.flags |= ConnectionFlags.outputBlocked
                return offset
            }
            switch RequestParser.parseHead(rest, headers: headerFields, limits: limits) {
            case .needMore:
                return offset
            case .error(let status):
                respondError(slot: slot, status: status)
                return input.count
            case .complete(let head):
                offset += head.headLength
                statistics.add(.requests)
                connection.pointee.requests &+= 1
                let started = statistics.durationStart()
                handleRequest(slot: slot, head: head, in: rest)
                if connection.pointee.generation != generation { return input.count }
                if answerQueued(slot: slot, generation: generation) { statistics.recordDuration(since: started) } else { bodyStarted = started }
            }
        }
        return offset
    }

    /// Chooses the answer; sends it now, or once the request body has been consumed.
    mutating func handleRequest(slot: UInt32, head: RequestHead, in buffer: UnsafeRawBufferPointer) {
        let connection = table[slot]
        if accessLog.enabled { logRequestHead(slot: slot, head: head, in: buffer) }
        switch responses.match(target: head.target(in: buffer), method: head.method) {
        case .route(let route): connection.pointee.pendingRoute = UInt8(truncatingIfNeeded: route)
        case .methodNotAllowed(let allowed):
            connection.pointee.pendingRoute = Answer.methodNotAllowed
            connection.pointee.allowedMethods = allowed.rawValue
        case .notFound: connection.pointee.pendingRoute = Answer.notFound
        }
        statistics.recordRoute(index: Int(connection.pointee.pendingRoute))
        var pending = PendingResponse.owed
        if head.method == .head { pending |= PendingResponse.headOnly }
        if !head.keepAlive || draining { pending |= PendingResponse.close }
        let body = BodyDecoder(framing: head.framing)
        let route = Int(connection.pointee.pendingRoute)
        if route < responses.routeCount && responses.kind(of: route) == .directory {
            // Files are answered now, while the head's fields (validators, Range,
            // Accept-Encoding) are still in the buffer. A body on a GET means nothing here: it
            // is read and dropped, and the connection closes after the answer, so a client
            // holding it back for 100-continue is not left waiting.
            let close = pending & PendingResponse.close != 0 || !body.isComplete
            // Owed while serveFile runs, so a refused path's respondError logs the request.
            connection.pointee.pendingFlags = PendingResponse.owed
            fileAnswer = (0, 0)
            serveFile(slot: slot, route: route, head: head, in: buffer, close: close, headOnly: head.method == .head)
            guard connection.pointee.flags & ConnectionFlags.open != 0 else { return }
            connection.pointee.pendingFlags = 0
            if accessLog.enabled && fileAnswer.status != 0 {
                logLine(request: accessLog.takeRequest(slot: slot), status: fileAnswer.status, bodyBytes: Int(fileAnswer.bodyBytes))
            }
            if close { connection.pointee.flags |= ConnectionFlags.closeAfterSend }
            connection.pointee.body = body
            return
        }
        connection.pointee.pendingFlags = pending
        let handler = handlerIndex(route: connection.pointee.pendingRoute)
        if body.isComplete {
            // No body, or Content-Length: 0: nothing to wait for.
            if let handler { answerHandler(slot: slot, handler: handler, head: head, in: buffer) } else { answerPending(slot: slot) }
            return
        }
        connection.pointee.body = body
        if handler != nil { beginCollecting(slot: slot, head: head, in: buffer) }
        if head.expectContinue && head.version == .http11 {
            // RFC 9110 §10.1.1: tell the client to send the body it is holding back.
            appendOutput(slot: slot, Worker.continueResponse)
        }
    }

    /// Appends the response owed to the connection.
    mutating func answerPending(slot: UInt32) {
        let connection = table[slot]
        let pending = connection.pointee.pendingFlags
        guard pending & PendingResponse.owed != 0 else { return }
        if let handler = handlerIndex(route: connection.pointee.pendingRoute) {
            answerCollectedHandler(slot: slot, handler: handler)
            return
        }
        connection.pointee.pendingFlags = 0
        let close = pending & PendingResponse.close != 0
        let headOnly = pending & PendingResponse.headOnly != 0
        let route = connection.pointee.pendingRoute
        if Int(route) < responses.routeCount && responses.kind(of: Int(route)) == .health && draining {
            // Draining: tell the load balancer to stop sending before the listener closes.
            statistics.recordStatus(503)
            appendGenerated(slot: slot, status: .serviceUnavailable, body: Worker.bytes("draining\n"), extraHeaders: Worker.bytes(""), close: close, headOnly: headOnly)
            if accessLog.enabled { logLine(request: accessLog.takeRequest(slot: slot), status: 503, bodyBytes: headOnly ? 0 : 9) }
            if close { connection.pointee.flags |= ConnectionFlags.closeAfterSend }
            return
        }
        statistics.recordStatus(responses.status(of: route))
        if route == Answer.methodNotAllowed {
            let allow = Worker.writeAllowHeader(MethodSet(rawValue: connection.pointee.allowedMethods), into: allowScratch)
            appendGenerated(slot: slot, status: .methodNotAllowed, body: Worker.methodNotAllowedBody, extraHeaders: allow, close: close, headOnly: headOnly)
        } else if Int(route) >= responses.routeCount {
            // Answer.notFound, or a route that a SIGHUP reload removed while its body was read.
            appendGenerated(slot: slot, status: .notFound, body: Worker.notFoundBody, extraHeaders: Worker.bytes(""), close: close, headOnly: headOnly)
        } else if responses.kind(of: Int(route)) == .metrics {
            appendMetrics(slot: slot, close: close, headOnly: headOnly)
        } else {
            appendOutput(slot: slot, responses.response(route: Int(route), close: close, headOnly: headOnly))
        }
        if accessLog.enabled { logAnswer(slot: slot, route: route, headOnly: headOnly) }
        if close { connection.pointee.flags |= ConnectionFlags.closeAfterSend }
    }

    /// A response written now (404, 405, metrics): head through ResponseWriter, then the body.
    mutating func appendGenerated(slot: UInt32, status: HTTPStatus, body: UnsafeRawBufferPointer, extraHeaders: UnsafeRawBufferPointer,
                                  contentType: UnsafeRawBufferPointer = Worker.textPlain, close: Bool, headOnly: Bool) {
        let headRoom = 512 + extraHeaders.count
        guard let out = responseOutput(slot: slot, count: headRoom + body.count) else { return }
        guard let headLength = ResponseWriter.writeHead(status: status, server: responses.serverName, date: date,
                                                        contentType: contentType, contentLength: UInt64(body.count),
                                                        close: close, extraHeaders: extraHeaders,
                                                        into: UnsafeMutableRawBufferPointer(start: out.pointer, count: headRoom)) else { return }
        var length = headLength
        if !headOnly && body.count > 0 {
            (out.pointer + headLength).copyMemory(from: body.baseAddress!, byteCount: body.count)
            length += body.count
        }
        commitHandlerOutput(slot: slot, count: length, held: out.held)
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

    /// Answers a malformed or over-limit request with `status` and closes after sending it.
    mutating func respondError(slot: UInt32, status: HTTPStatus) {
        let connection = table[slot]
        if accessLog.enabled { logError(slot: slot, status: status) }
        if connection.pointee.stream != BodyStreams.none {
            // A body is still going out: nothing can be put in front of or inside it.
            statistics.recordParseError(status.rawValue)
            closeConnection(slot: slot)
            return
        }
        statistics.recordParseError(status.rawValue)
        statistics.recordStatus(status.rawValue)
        connection.pointee.pendingFlags = 0
        connection.pointee.body = BodyDecoder()
        releaseCarry(slot: slot)
        connection.pointee.flags &= ~ConnectionFlags.outputBlocked
        if let out = reserveOutput(slot: slot, count: 512),
           let length = ResponseWriter.writeError(status: status, server: responses.serverName, date: date,
                                                  into: UnsafeMutableRawBufferPointer(start: out, count: 512)) {
            commitOutput(slot: slot, count: length)
        }
        connection.pointee.flags |= ConnectionFlags.closeAfterSend
        flushOutput(slot: slot)
    }

    static var continueResponse: UnsafeRawBufferPointer { bytes("HTTP/1.1 100 Continue\r\n\r\n") }
    static var textPlain: UnsafeRawBufferPointer { bytes("text/plain") }
    @inline(__always)
    static func bytes(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }
    static var notFoundBody: UnsafeRawBufferPointer { bytes("Not Found\n") }
    static var methodNotAllowedBody: UnsafeRawBufferPointer { bytes("Method Not Allowed\n") }
}
