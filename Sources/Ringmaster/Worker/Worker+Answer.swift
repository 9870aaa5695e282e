// The one response path (DESIGN.md, "Answers"): every way of answering a request — a route's
// prebuilt bytes, a generated head and body, a file head with its body streamed after it, an
// error — is an `Answer`, and `commit` is the only function that writes one: it finds room in
// the output (or holds the answer whole in a chunk of its own), writes the head, counts the
// status, logs the access line and tells the machine whether the connection closes after it.
import RingmasterHTTP

/// A response head to write: the fields the server does not fix itself.
struct AnswerHead {
    var status: HTTPStatus
    var contentType: UnsafeRawBufferPointer
    /// The Content-Length (for HEAD and 304, the length a GET would get).
    var contentLength: UInt64
    /// Header lines ("Name: value\r\n"...), validators and a route's or handler's own.
    var extraHeaders: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    /// How the head says where the body ends (`.chunked` or `.untilClose` only for a body an
    /// async handler writes as it goes).
    var framing = HeadFraming.length
}

/// Where an answer's body comes from.
enum AnswerBody {
    /// No body (HEAD, 304, 204, an empty body).
    case none
    /// Copied behind the head (it fits a chunk beside it).
    case inline(UnsafeRawBufferPointer)
    /// Sent after the head by a body stream: `count` bytes from `offset` of a cache block,
    /// a handler's spilled body or an open file (which the answer then owns).
    case stream(FileBody, offset: UInt64, count: UInt64)
    /// Written after the head by an async handler as it goes (`AsyncResponse.stream`): a body
    /// stream that sends what its ResponseBodyWriter puts in its buffer
    /// (Worker+ResponseWriter.swift).
    case writer
}

/// Everything a request can be answered with.
enum Answer {
    /// Response bytes built ahead (a route table's), copied whole.
    case prebuilt(UnsafeRawBufferPointer, status: UInt16, bodyBytes: Int)
    case response(AnswerHead, AnswerBody)
    /// A malformed or over-limit request (or a timeout): the status's short body, then close.
    case error(HTTPStatus)
}

extension Worker {
    /// Writes `answer` after what the connection already has queued. `close` makes it the
    /// connection's last. The caller flushes (once per batch of pipelined requests). One
    /// switch on the kind; each kind's writer counts the status, writes, logs the access line
    /// and tells the machine what follows.
    mutating func commit(slot: UInt32, _ answer: Answer, close: Bool, counted: Bool = false) {
        switch answer {
        case .prebuilt(let bytes, let status, let bodyBytes):
            commitPrebuilt(slot: slot, bytes, status: status, bodyBytes: bodyBytes, close: close, counted: counted)
        case .response(let head, let body):
            commitResponse(slot: slot, head: head, body: body, close: close, counted: counted)
        case .error(let status):
            commitError(slot: slot, status: status)
        }
    }

    /// A route's prebuilt bytes, copied whole: the hot path of every static route.
    @inline(__always)
    private mutating func commitPrebuilt(slot: UInt32, _ bytes: UnsafeRawBufferPointer, status: UInt16, bodyBytes: Int,
                                         close: Bool, counted: Bool) {
        // Counted before it is written, so a metrics body includes its own response.
        if !counted { link.statistics.recordStatus(status) }
        guard let out = answerOutput(slot: slot, count: bytes.count) else { return }
        out.pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        commitAnswerOutput(slot: slot, count: bytes.count, held: out.held)
        finishAnswer(slot: slot, status: status, bodyBytes: bodyBytes, closes: close)
    }

    /// A generated head with its body inline or streamed after it.
    private mutating func commitResponse(slot: UInt32, head: AnswerHead, body: AnswerBody, close: Bool, counted: Bool) {
        var stream: UInt32?
        if case .writer = body { stream = streams.allocate() }
        if case .stream(let source, _, _) = body { stream = streams.allocate() }
        if body.isStreamed {
            guard stream != nil else {
                // Every body stream of this worker is busy: 503, try again shortly.
                if case .stream(let source, _, _) = body { source.discard() }
                link.statistics.add(.streamsExhausted)
                commitResponse(slot: slot, head: AnswerHead(status: .serviceUnavailable, contentType: Worker.textPlain, contentLength: 20,
                                                            extraHeaders: Worker.bytes("Retry-After: 1\r\n")),
                               body: .inline(Worker.bytes("Service Unavailable\n")), close: close, counted: false)
                return
            }
        }
        if !counted { link.statistics.recordStatus(head.status.rawValue) }
        var inline = 0
        if case .inline(let bytes) = body { inline = bytes.count }
        let headRoom = 256 + routing.responses.serverName.count + head.contentType.count + head.extraHeaders.count
        guard let out = answerOutput(slot: slot, count: headRoom + inline),
              let headLength = ResponseWriter.writeHead(status: head.status, server: routing.responses.serverName, date: routing.date,
                                                        contentType: head.contentType, contentLength: head.contentLength,
                                                        close: close, extraHeaders: head.extraHeaders, framing: head.framing,
                                                        into: UnsafeMutableRawBufferPointer(start: out.pointer, count: headRoom)) else {
            if let stream { streams.release(stream) }
            if case .stream(let source, _, _) = body { source.discard() }
            return
        }
        var bodyBytes = 0
        if inline > 0, case .inline(let bytes) = body {
            (out.pointer + headLength).copyMemory(from: bytes.baseAddress!, byteCount: inline)
            bodyBytes = inline
        }
        commitAnswerOutput(slot: slot, count: headLength + inline, held: out.held)
        if let stream, case .stream(let source, let offset, let count) = body {
            startStream(slot: slot, stream: stream, body: source, offset: offset, count: count)
            bodyBytes = Int(count)
        }
        if let stream, case .writer = body { startWriterStream(slot: slot, stream: stream, chunked: head.framing == .chunked) }
        finishAnswer(slot: slot, status: head.status.rawValue, bodyBytes: bodyBytes, closes: close)
    }

    /// A malformed or over-limit request (or a timeout): the status's short body; the
    /// connection closes after it and lingers if the client is still sending.
    private mutating func commitError(slot: UInt32, status: HTTPStatus) {
        // The request line is known only when its head was parsed (a broken body, a body timeout).
        let requestKnown = table[slot].pointee.pendingFlags & PendingResponse.owed != 0
        link.statistics.recordParseError(status.rawValue)
        link.statistics.recordStatus(status.rawValue)
        if let out = reserveOutput(slot: slot, count: 512),
           let length = ResponseWriter.writeError(status: status, server: routing.responses.serverName, date: routing.date,
                                                  into: UnsafeMutableRawBufferPointer(start: out, count: 512)) {
            commitOutput(slot: slot, count: length)
        }
        finishAnswer(slot: slot, status: status.rawValue, bodyBytes: ResponseWriter.errorBodyLength(status: status),
                     closes: true, isError: true, requestKnown: requestKnown)
    }

    /// After an answer is written: its access-log line, and the machine told whether the
    /// connection closes after it (nothing when writing it closed the connection).
    @inline(__always)
    private mutating func finishAnswer(slot: UInt32, status: UInt16, bodyBytes: Int, closes: Bool, isError: Bool = false,
                                       requestKnown: Bool = true) {
        let connection = table[slot]
        guard connection.pointee.isOpen else { return }
        if accessLog.enabled { logLine(slot: slot, request: requestKnown ? accessLog.takeRequest(slot: slot) : nil, status: status, bodyBytes: bodyBytes) }
        connection.pointee.machine.answerQueued(closes: closes, isError: isError)
    }

    /// Answers a malformed or over-limit request with `status` and closes after sending it.
    mutating func respondError(slot: UInt32, status: HTTPStatus) {
        let connection = table[slot]
        // A body streamed to an upstream or a handler ends here, whatever ended it (its
        // framing, its limit, the body timeout): its consumer is stopped before the error
        // answers, so no second answer can follow it.
        if connection.pointee.handlerState & HandlerState.uploading != 0 { cancelUpload(slot: slot) }
        if connection.pointee.handlerState & HandlerState.streamingBody != 0 { cancelChannel(slot: slot, status: status) }
        if connection.pointee.stream != BodyStreams.none {
            // A body is still going out: nothing can be put in front of or inside it.
            link.statistics.recordParseError(status.rawValue)
            if accessLog.enabled { logLine(slot: slot, request: nil, status: status.rawValue, bodyBytes: 0) }
            closeConnection(slot: slot)
            return
        }
        routing.retired.forget(epoch: connection.pointee.tableEpoch, owed: connection.pointee.pendingFlags & PendingResponse.owed != 0)
        connection.pointee.body = BodyDecoder()
        releaseCarry(slot: slot)
        commit(slot: slot, .error(status), close: true)
        connection.pointee.pendingFlags = 0
    }

    /// A generated text answer (404, 405, 403, 500, 503...): `body` unless `headOnly`.
    @inline(__always)
    static func text(_ status: HTTPStatus, _ body: UnsafeRawBufferPointer, headers: UnsafeRawBufferPointer = bytes(""),
                     headOnly: Bool) -> Answer {
        .response(AnswerHead(status: status, contentType: textPlain, contentLength: UInt64(body.count), extraHeaders: headers),
                  headOnly || body.isEmpty ? .none : .inline(body))
    }

    static var textPlain: UnsafeRawBufferPointer { bytes("text/plain") }
    @inline(__always)
    static func bytes(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }
    static var notFoundBody: UnsafeRawBufferPointer { bytes("Not Found\n") }
    static var methodNotAllowedBody: UnsafeRawBufferPointer { bytes("Method Not Allowed\n") }
    static var handlerFailureBody: UnsafeRawBufferPointer { bytes("500 Internal Server Error\n") }
    static var continueResponse: UnsafeRawBufferPointer { bytes("HTTP/1.1 100 Continue\r\n\r\n") }
}

extension AnswerBody {
    /// Sent after the head by a body stream.
    var isStreamed: Bool {
        switch self {
        case .stream, .writer: true
        case .none, .inline: false
        }
    }
}
