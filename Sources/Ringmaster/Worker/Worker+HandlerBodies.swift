// Handler responses that do not fit the output chunk: a large written body, or a file from
// `Response.sendFile`. Both go out the way large static files do (Worker+Streams): the head is
// queued in the output, and a body stream sends the rest after it, from the response's own
// block or by IORING_OP_READ from the file, with one operation in flight (backpressure).
import Glibc
import RingmasterHTTP

extension Worker {
    static var handlerFailureBody: UnsafeRawBufferPointer { bytes("500 Internal Server Error\n") }

    /// The head now, the body through a stream. Returns what the access log records.
    mutating func appendStreamedHandlerBody(slot: UInt32, _ response: borrowing Response, headRoom: Int, close: Bool) -> (status: UInt16, bodyBytes: Int) {
        guard let stream = streams.allocate() else {
            return answerStreamsExhausted(slot: slot, close: close)
        }
        // The body must outlive the handler's scratch: the spill block already does; a body
        // that fit the scratch but not the chunk next to its head is copied into one.
        let block: FileBlock
        if let spill = response.spill {
            spill.retain()
            block = spill
        } else if let copy = FileBlock.allocate(keyLength: 0, payload: response.bodyLength) {
            copy.payload.copyMemory(from: response.bodyBytes.baseAddress!, byteCount: response.bodyLength)
            block = copy
        } else {
            streams.release(stream)
            appendHandlerFailure(slot: slot, close: close, headOnly: false)
            return (500, Worker.handlerFailureBody.count)
        }
        defer { block.release() }
        guard let out = handlerOutput(slot: slot, count: headRoom) else {
            streams.release(stream)
            return (response.status.rawValue, 0)
        }
        // headOnly: the head alone, with Content-Length of the whole body.
        let length = writeHandlerResponse(response, close: close, headOnly: true,
                                          into: UnsafeMutableRawBufferPointer(start: out.pointer, count: headRoom))
        commitHandlerOutput(slot: slot, count: length, held: out.held)
        statistics.recordStatus(response.status.rawValue)
        startStream(slot: slot, stream: stream, body: .memory(block, UnsafeRawPointer(block.payload)), offset: 0, count: UInt64(response.bodyLength))
        return (response.status.rawValue, response.bodyLength)
    }

    /// `Response.sendFile`: opens `path`, answers with its validators and streams it.
    /// With `fields` (the request's, when it is still at hand) and status 200, the answer
    /// honours If-None-Match / If-Modified-Since (304) and a single Range (206/416), as a
    /// directory route's does.
    mutating func appendHandlerFile(slot: UInt32, path: String, _ response: borrowing Response, fields: FileRequestFields?,
                                    close: Bool, headOnly: Bool) -> (status: UInt16, bodyBytes: Int) {
        var failure = FileOpenFailure.notFound
        let opened = path.withCString { name -> (fd: Int32, facts: FileFacts)? in
            switch FileOpener.open(root: AT_FDCWD, path: name, resolve: 0) {
            case .success(let file): return file
            case .failure(let why): failure = why; return nil
            }
        }
        guard let (fd, facts) = opened, !facts.isDirectory else {
            if let opened { Glibc.close(opened.fd) }
            let status: HTTPStatus = failure == .forbidden ? .forbidden : failure == .unavailable ? .internalServerError : .notFound
            if failure == .unavailable { statistics.add(.fileErrors) }
            appendFileError(slot: slot, status: status, close: close, headOnly: headOnly)
            return (status.rawValue, Int(fileAnswer.bodyBytes))
        }
        // Validators first, then the handler's own lines, as one block of extra headers.
        let scratch = UnsafeMutableRawBufferPointer(start: fileHeaderScratch, count: Worker.fileHeaderScratchSize)
        guard let (validators, tagLength) = FileHeaders.write(size: facts.size, modificationSeconds: facts.modifiedSeconds,
                                                      modificationNanoseconds: facts.modifiedNanoseconds, gzip: false, vary: false,
                                                      into: scratch) else {
            Glibc.close(fd)
            appendHandlerFailure(slot: slot, close: close, headOnly: headOnly)
            return (500, Worker.handlerFailureBody.count)
        }
        let own = response.headerBytes
        if own.count > 0 { (fileHeaderScratch + validators).copyMemory(from: own.baseAddress!, byteCount: own.count) }
        let extra = UnsafeRawBufferPointer(start: fileHeaderScratch, count: validators + own.count)
        let type: UnsafeRawBufferPointer
        if response.contentTypeSet {
            type = response.contentTypeBytes
        } else {
            let guessed = path.utf8.withContiguousStorageIfAvailable { MIMEType.contentType(forPath: UnsafeRawBufferPointer($0)) }
                ?? MIMEType.defaultType
            type = UnsafeRawBufferPointer(start: guessed.utf8Start, count: guessed.utf8CodeUnitCount)
        }
        if let fields, response.status == .ok {
            fileAnswer = (0, 0)
            answerFile(slot: slot, facts: facts, contentType: type, headers: extra, tagLength: tagLength, body: .file(fd),
                       fields: fields, close: close, headOnly: headOnly)
            return (fileAnswer.status, Int(fileAnswer.bodyBytes))
        }
        let headRoom = 512 + type.count + extra.count
        let stream = headOnly || facts.size == 0 ? nil : streams.allocate()
        if !headOnly && facts.size > 0 && stream == nil {
            Glibc.close(fd)
            return answerStreamsExhausted(slot: slot, close: close)
        }
        guard let out = handlerOutput(slot: slot, count: headRoom),
              let head = ResponseWriter.writeHead(status: response.status, server: responses.serverName, date: date, contentType: type,
                                                  contentLength: facts.size, close: close, extraHeaders: extra,
                                                  into: UnsafeMutableRawBufferPointer(start: out.pointer, count: headRoom)) else {
            Glibc.close(fd)
            if let stream { streams.release(stream) }
            return (response.status.rawValue, 0)
        }
        commitHandlerOutput(slot: slot, count: head, held: out.held)
        statistics.recordStatus(response.status.rawValue)
        guard let stream else {
            Glibc.close(fd)
            return (response.status.rawValue, 0)
        }
        startStream(slot: slot, stream: stream, body: .file(fd), offset: 0, count: facts.size)
        return (response.status.rawValue, Int(facts.size))
    }

    /// 503 with Retry-After when every body stream of this worker is busy.
    mutating func answerStreamsExhausted(slot: UInt32, close: Bool) -> (status: UInt16, bodyBytes: Int) {
        statistics.add(.streamsExhausted)
        statistics.recordStatus(503)
        let body = Worker.bytes("Service Unavailable\n")
        appendGenerated(slot: slot, status: .serviceUnavailable, body: body, extraHeaders: Worker.bytes("Retry-After: 1\r\n"),
                        close: close, headOnly: false)
        return (503, body.count)
    }
}
