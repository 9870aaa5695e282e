// Runs a router's routes without sockets or a worker, for an application's tests (like
// HummingbirdTesting): a request is written as HTTP/1.1 bytes, parsed by the server's
// RequestParser, matched by a ResponseTable built from the router, and answered by the same
// handler closures (middleware, error mapping and parameter capture included) into a
// Response over scratch memory; the head goes through ResponseWriter as the worker writes it,
// and the bytes are read back into a `RecordedResponse`. Cold path: it allocates freely.
import Glibc
import Logging
import RingmasterHTTP

/// Why `RouterTester.request` could not answer.
public enum RouterTesterError: Error, Equatable {
    /// The request bytes did not parse: the status the server would have answered.
    case invalidRequest(UInt16)
    /// The handler deferred its response (`finishLater`) with nothing to finish it here (a
    /// worker timer), or an async handler did not answer within 10 s.
    case deferred
    /// A route kind the tester does not serve (metrics, directories, `sendFile`).
    case unsupported(String)
    /// A streamed body's writer threw before the end (the server would cut the connection).
    case bodyBroken
}

/// Routes requests of a test through `router` in memory.
///
/// ```swift
/// let app = RouterTester(router)
/// let r = try app.request(.get, "/items/7", headers: [("Accept", "application/json")])
/// #expect(r.status == 200)
/// #expect(r.bodyText == "{\"id\":7}")
/// ```
///
/// Handlers run on the calling thread; `request.worker` is a context of the tester's own
/// (its timers never fire). Async handlers run as tasks on the tester's executor, on the
/// calling thread, and `request` waits for their answer. Create it and call it on one thread
/// (a synchronous test function).
public final class RouterTester {
    public let router: Router
    let table: ResponseTable
    let patterns: HandlerPatterns
    let context: WorkerContext
    /// The eventfd the tester's executor writes when a job arrives from another thread.
    let wakeFD: Int32
    let scratch: ResponseScratch
    let fields: UnsafeMutableBufferPointer<HTTPHeaderField>
    let limits: HTTPLimits
    /// The date every response head carries (fixed, so answers compare).
    let date = HTTPDate(unixSeconds: 0)

    /// `bodyCapacity` is the response scratch (the worker's is its output chunk size); a
    /// larger body spills into a block of its own, as on the worker.
    public init(_ router: Router, limits: HTTPLimits = HTTPLimits(), bodyCapacity: Int = 16 << 10,
                logger: Logger = Logger(label: "ringmaster.RouterTester")) {
        self.router = router
        self.limits = limits
        table = ResponseTable(routes: router.routes, serverName: "ringmaster")
        patterns = HandlerPatterns(router: router)
        wakeFD = (try? EventFD.make().get()) ?? -1
        context = WorkerContext(index: 0, logger: logger, eventFD: wakeFD)
        scratch = ResponseScratch(bodyCapacity: bodyCapacity)
        fields = .allocate(capacity: limits.maxHeaderCount)
        fields.initialize(repeating: HTTPHeaderField())
    }

    deinit {
        context.stop()
        close(wakeFD)
        scratch.deallocate()
        fields.deallocate()
    }

    /// Sends `method target` with `headers` (a `Host` is added unless given) and `body`
    /// (with its Content-Length unless a framing header is given) and returns the answer.
    public func request(_ method: HTTPMethod, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> RecordedResponse {
        try request(method: RouterTester.name(of: method), target, headers: headers, body: body)
    }

    /// The same with a body given as text.
    public func request(_ method: HTTPMethod, _ target: String, headers: [(String, String)] = [], body: String) throws -> RecordedResponse {
        try request(method, target, headers: headers, body: Array(body.utf8))
    }

    /// The same with the method token as sent.
    public func request(method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> RecordedResponse {
        let named = Set(headers.map { $0.0.lowercased() })
        var head = "\(method) \(target) HTTP/1.1\r\n"
        if !named.contains("host") { head += "Host: tester\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty && !named.contains("content-length") && !named.contains("transfer-encoding") {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        let bytes = Array(head.utf8)
        return try bytes.withUnsafeBytes { buffer in
            try body.withUnsafeBytes { body in try answer(buffer, body: body) }
        }
    }

    /// Parses, matches and answers one request head with its (already decoded) body.
    func answer(_ buffer: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) throws -> RecordedResponse {
        guard case .complete(let head) = RequestParser.parseHead(buffer, headers: fields, limits: limits) else {
            if case .error(let status) = RequestParser.parseHead(buffer, headers: fields, limits: limits) {
                throw RouterTesterError.invalidRequest(status.rawValue)
            }
            throw RouterTesterError.invalidRequest(400)
        }
        guard UInt64(body.count) <= limits.maxBodyBytes else { return try text(.payloadTooLarge, "Content Too Large\n", headOnly: false) }
        let headOnly = head.method == .head
        // As the worker: no route serves CONNECT or an unknown method.
        guard head.method != .connect, head.method != .other else { return try text(.notImplemented, "Not Implemented\n", headOnly: headOnly) }
        switch table.match(target: head.target(in: buffer), method: head.method) {
        case .notFound:
            return try text(.notFound, String(decoding: Worker.notFoundBody, as: UTF8.self), headOnly: headOnly)
        case .methodNotAllowed(let allowed):
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 8)
            defer { scratch.deallocate() }
            let allow = Worker.writeAllowHeader(allowed, into: scratch)
            return try text(.methodNotAllowed, String(decoding: Worker.methodNotAllowedBody, as: UTF8.self), headers: allow, headOnly: headOnly)
        case .route(let route):
            switch table.kind(of: route) {
            case .handler(let handler):
                return try run(handler: handler, head: head, buffer: buffer, body: body, headOnly: headOnly)
            case .body, .health:
                return try RecordedResponse(parsing: table.response(route: route, close: false, headOnly: headOnly), headOnly: headOnly)
            case .metrics, .directory, .proxy:
                throw RouterTesterError.unsupported("\(table.kind(of: route)) routes need a running server")
            }
        }
    }

    /// Runs handler `handler` as the worker does and writes what it answered.
    func run(handler: Int, head: RequestHead, buffer: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer, headOnly: Bool) throws -> RecordedResponse {
        // A streaming route reads the body from a channel: it is all there, in 16 KiB pieces.
        var channel: BodyChannel?
        if router.streamsBody[handler] {
            let made = BodyChannel(executor: context.executor, owner: WorkerBound((context, 0, 0)))
            var offset = 0
            while offset < body.count {
                let piece = [UInt8](UnsafeRawBufferPointer(rebasing: body[offset..<min(offset + 16384, body.count)]))
                made.assumeIsolated { $0.push(piece) }
                offset += piece.count
            }
            made.assumeIsolated { $0.finish() }
            channel = made
        }
        let request = Request(head: head, bytes: buffer, fields: UnsafeBufferPointer(fields), body: channel == nil ? body : UnsafeRawBufferPointer(start: nil, count: 0),
                              client: .unknown, worker: context, parameters: patterns.parameters(handler: handler, target: head.target(in: buffer)),
                              bodyChannel: channel)
        var response = Response(scratch: scratch, worker: context, slot: 0, generation: 0)
        router.handlers[handler](request, &response)
        if response.deferralID != 0 {
            guard let finish = awaitFinish(deferral: response.deferralID) else { throw RouterTesterError.deferred }
            var finished = Response(scratch: scratch, worker: context, slot: 0, generation: 0)
            finish.body(&finished)
            response = finished
            if response.deferralID != 0 { throw RouterTesterError.deferred }
        }
        if response.filePath != nil { throw RouterTesterError.unsupported("sendFile needs a running server") }
        if let writer = response.bodyWriter {
            let body = try collect(writer)
            return try body.withUnsafeBytes { body in
                try write(status: response.status, contentType: response.contentTypeBytes, headers: response.headerBytes, body: body,
                          headOnly: headOnly || response.forbidsBody)
            }
        }
        if response.problem != nil {
            return try text(.internalServerError, String(decoding: Worker.handlerFailureBody, as: UTF8.self), headOnly: headOnly)
        }
        return try write(status: response.status, contentType: response.contentTypeBytes, headers: response.headerBytes,
                         body: response.bodyBytes, headOnly: headOnly || response.forbidsBody)
    }

    /// Runs the executor's jobs on this thread until a deferred response is finished (an async
    /// handler's answer), waiting on the eventfd for jobs resumed elsewhere; nil when no task
    /// runs that could finish it, or after 10 s.
    func awaitFinish(deferral id: UInt32) -> PendingFinish? {
        for _ in 0..<200 {
            context.executor.runJobs()
            // Room made in a streaming body's channel: it already holds the whole body here.
            _ = context.takeBodyRooms()
            // A late finish of an earlier request's deferral (it timed out here) is dropped.
            while let finish = context.nextFinish() {
                if finish.id == id { return finish }
            }
            guard context.runningTasks > 0 else { return nil }
            var wait = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
            if poll(&wait, 1, 50) > 0 {
                var count: UInt64 = 0
                _ = read(wakeFD, &count, 8)
            }
        }
        return nil
    }

    /// What a streamed body's writer writes, to its end (running the executor's jobs on this
    /// thread, as `awaitFinish` does), up to 10 s.
    func collect(_ writer: ResponseBodyWriter) throws -> [UInt8] {
        var body: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<2000 {
            context.executor.runJobs()
            _ = context.takeWriterEvents()
            let taken = piece.withUnsafeMutableBytes { buffer in
                let address = UInt(bitPattern: buffer.baseAddress!)
                return writer.assumeIsolated { $0.take(into: UnsafeMutableRawPointer(bitPattern: address)!, room: 65536) }
            }
            body += piece[0..<taken]
            let (ended, aborted, pending) = writer.assumeIsolated { ($0.ended, $0.aborted, $0.hasPending) }
            if ended && !pending {
                if aborted { throw RouterTesterError.bodyBroken }
                return body
            }
            if taken == 0 {
                var wait = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
                if poll(&wait, 1, 5) > 0 {
                    var count: UInt64 = 0
                    _ = read(wakeFD, &count, 8)
                }
            }
        }
        throw RouterTesterError.deferred
    }

    /// A generated text answer (404, 405, 500...), as `Worker.text` makes them.
    func text(_ status: HTTPStatus, _ body: String, headers: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
              headOnly: Bool) throws -> RecordedResponse {
        try Array(body.utf8).withUnsafeBytes { body in
            try write(status: status, contentType: Worker.textPlain, headers: headers, body: body, headOnly: headOnly)
        }
    }

    /// Head and body as the worker writes them, read back.
    func write(status: HTTPStatus, contentType: UnsafeRawBufferPointer, headers: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
               headOnly: Bool) throws -> RecordedResponse {
        let room = 512 + contentType.count + headers.count
        var out = [UInt8](repeating: 0, count: room)
        let length = out.withUnsafeMutableBytes { out in
            ResponseWriter.writeHead(status: status, server: table.serverName, date: date, contentType: contentType,
                                     contentLength: UInt64(body.count), close: false, extraHeaders: headers, into: out)
        }
        guard let length else { throw RouterTesterError.unsupported("a response head over \(room) bytes") }
        out.removeLast(room - length)
        if !headOnly { out.append(contentsOf: body) }
        return try out.withUnsafeBytes { try RecordedResponse(parsing: $0, headOnly: headOnly) }
    }

    static func name(of method: HTTPMethod) -> String {
        switch method {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .patch: "PATCH"
        case .trace: "TRACE"
        case .connect: "CONNECT"
        case .other: "OTHER"
        }
    }
}
