// Handler responses that do not fit the output chunk: a large written body, or a file from
// `Response.sendFile`. Both go out the way large static files do (Worker+Streams): the head is
// queued in the output, and a body stream sends the rest after it, from the response's own
// block or by IORING_OP_READ from the file, with one operation in flight (backpressure).
import Glibc
import RingmasterHTTP

extension Worker {
    /// A body larger than the chunk beside its head: streamed from a block that outlives the
    /// handler's scratch (its spill block, or a copy of a body that fit the scratch).
    mutating func streamedHandlerBody(_ response: borrowing Response, head: AnswerHead, headOnly: Bool) -> Answer {
        let block: FileBlock
        if let spill = response.spill {
            spill.retain()
            block = spill
        } else if let copy = FileBlock.allocate(keyLength: 0, payload: response.bodyLength) {
            copy.payload.copyMemory(from: response.bodyBytes.baseAddress!, byteCount: response.bodyLength)
            block = copy
        } else {
            return Worker.text(.internalServerError, Worker.handlerFailureBody, headOnly: headOnly)
        }
        // This reference is handed to the answer; appendHandlerResponse releases it after the
        // commit (whose stream, if any, retains the block itself).
        return .response(head, .stream(.memory(block, UnsafeRawPointer(block.payload)), offset: 0, count: UInt64(response.bodyLength)))
    }

    /// `Response.sendFile`: opens `path`, answers with its validators and streams it.
    /// With `fields` (the request's, when it is still at hand) and status 200, the answer
    /// honours If-None-Match / If-Modified-Since (304) and a single Range (206/416), as a
    /// directory route's does.
    mutating func handlerFileAnswer(path: String, _ response: borrowing Response, fields: FileRequestFields?, headOnly: Bool) -> Answer {
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
            if failure == .unavailable { link.statistics.add(.fileErrors) }
            return FileServer.failure(status, headOnly: headOnly)
        }
        // Validators first, then the handler's own lines, as one block of extra headers.
        let scratch = files.headerScratch
        guard let (validators, tagLength) = FileHeaders.write(size: facts.size, modificationSeconds: facts.modifiedSeconds,
                                                              modificationNanoseconds: facts.modifiedNanoseconds, gzip: false, vary: false,
                                                              into: UnsafeMutableRawBufferPointer(start: scratch, count: FileServer.headerScratchSize)) else {
            Glibc.close(fd)
            return Worker.text(.internalServerError, Worker.handlerFailureBody, headOnly: headOnly)
        }
        let own = response.headerBytes
        if own.count > 0 { (scratch + validators).copyMemory(from: own.baseAddress!, byteCount: own.count) }
        let extra = UnsafeRawBufferPointer(start: scratch, count: validators + own.count)
        let type: UnsafeRawBufferPointer
        if response.contentTypeSet {
            type = response.contentTypeBytes
        } else {
            let guessed = path.utf8.withContiguousStorageIfAvailable { MIMEType.contentType(forPath: UnsafeRawBufferPointer($0)) }
                ?? MIMEType.defaultType
            type = UnsafeRawBufferPointer(start: guessed.utf8Start, count: guessed.utf8CodeUnitCount)
        }
        if let fields, response.status == .ok {
            return files.answer(facts: facts, contentType: type, headers: extra, tagLength: tagLength, body: .file(fd),
                                fields: fields, date: routing.date, headOnly: headOnly)
        }
        let head = AnswerHead(status: response.status, contentType: type, contentLength: facts.size, extraHeaders: extra)
        guard !headOnly && facts.size > 0 else {
            Glibc.close(fd)
            return .response(head, .none)
        }
        return .response(head, .stream(.file(fd), offset: 0, count: facts.size))
    }
}
