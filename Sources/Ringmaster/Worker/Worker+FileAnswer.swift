// Answering a found file: conditional requests (304), a single byte range (206 or 416) and
// HEAD, then the body copied into the output when it fits, else streamed after it.
import Glibc
import RingmasterHTTP

/// Where a found file's body is.
enum FileBody {
    /// In a cache block (the block is retained by a stream that sends from it).
    case memory(FileBlock, UnsafeRawPointer)
    /// An open file this answer now owns.
    case file(Int32)

    /// Closes the file when the answer needs no body.
    func discard() {
        if case .file(let fd) = self { close(fd) }
    }
}

extension Worker {
    /// Appends the answer for a file of `facts` whose own header lines are `headers` (the
    /// entity-tag at offset 6, `tagLength` bytes).
    mutating func answerFile(slot: UInt32, facts: FileFacts, contentType: UnsafeRawBufferPointer, headers: UnsafeRawBufferPointer, tagLength: Int,
                             body: FileBody, fields: FileRequestFields, close: Bool, headOnly: Bool) {
        let tag = UnsafeRawBufferPointer(rebasing: headers[6..<(6 + tagLength)])
        if ConditionalRequest.isNotModified(ifNoneMatch: fields.ifNoneMatch, ifModifiedSince: fields.ifModifiedSince,
                                            entityTag: tag, lastModified: Int(facts.modifiedSeconds), now: date.unixSeconds) {
            body.discard()
            // RFC 9110 §15.4.5: a 304 carries the validators a 200 would; its Content-Length,
            // if any, must be the 200's, and it never has a body.
            appendFileHead(slot: slot, status: .notModified, contentType: contentType, length: facts.size, extra: headers, close: close)
            return
        }
        var status = HTTPStatus.ok
        var first: UInt64 = 0
        var count = facts.size
        var extra = headers
        if let range = fields.range, Worker.ifRangeHolds(fields.ifRange, tag: tag) {
            switch ByteRange.parse(range, length: facts.size) {
            case .satisfiable(let byteRange):
                status = .partialContent
                first = byteRange.first
                count = byteRange.count
                extra = withContentRange(headers) { byteRange.writeContentRange(length: facts.size, into: $0) }
            case .unsatisfiable:
                body.discard()
                extra = withContentRange(headers) { ByteRange.writeUnsatisfiedContentRange(length: facts.size, into: $0) }
                appendFileHead(slot: slot, status: .rangeNotSatisfiable, contentType: contentType, length: 0, extra: extra, close: close)
                return
            case .ignore:
                break
            }
        }
        if headOnly || count == 0 {
            body.discard()
            appendFileHead(slot: slot, status: status, contentType: contentType, length: count, extra: extra, close: close)
            return
        }
        let headRoom = 512 + extra.count
        if case .memory(_, let bytes) = body, headRoom + Int(count) <= slab.chunkSize {
            // Small enough to go out with the head in one send: one memcpy, no stream (into a
            // chunk of its own when pipelined responses left too little room).
            guard let out = responseOutput(slot: slot, count: headRoom + Int(count)),
                  let headLength = writeFileHead(status: status, contentType: contentType, length: count, extra: extra, close: close,
                                                 into: UnsafeMutableRawBufferPointer(start: out.pointer, count: headRoom)) else { return }
            (out.pointer + headLength).copyMemory(from: bytes + Int(first), byteCount: Int(count))
            commitHandlerOutput(slot: slot, count: headLength + Int(count), held: out.held)
            recordFileAnswer(status.rawValue, bodyBytes: count)
            return
        }
        guard let stream = streams.allocate() else {
            body.discard()
            statistics.add(.streamsExhausted)
            recordFileAnswer(503, bodyBytes: 20)
            appendGenerated(slot: slot, status: .serviceUnavailable, body: Worker.bytes("Service Unavailable\n"),
                            extraHeaders: Worker.bytes("Retry-After: 1\r\n"), close: close, headOnly: false)
            return
        }
        appendFileHead(slot: slot, status: status, contentType: contentType, length: count, extra: extra, close: close)
        fileAnswer.bodyBytes = count
        guard table[slot].pointee.flags & ConnectionFlags.open != 0 else {
            body.discard()
            streams.release(stream)
            return
        }
        startStream(slot: slot, stream: stream, body: body, offset: first, count: count)
    }

    /// RFC 9110 §13.1.5: with If-Range, a Range is honoured only if the validator still
    /// matches; we compare entity-tags strongly and ignore a date (a date is a weak
    /// validator unless it is old enough, which we do not track), which costs a full 200.
    static func ifRangeHolds(_ ifRange: UnsafeRawBufferPointer?, tag: UnsafeRawBufferPointer) -> Bool {
        guard let ifRange else { return true }
        return ifRange.count == tag.count && memcmp(ifRange.baseAddress!, tag.baseAddress!, tag.count) == 0
    }

    /// `headers` plus a `Content-Range` line, in the file header scratch.
    mutating func withContentRange(_ headers: UnsafeRawBufferPointer, _ write: (UnsafeMutableRawBufferPointer) -> Int?) -> UnsafeRawBufferPointer {
        if UnsafeRawPointer(fileHeaderScratch) != headers.baseAddress {
            fileHeaderScratch.copyMemory(from: headers.baseAddress!, byteCount: headers.count)
        }
        var length = headers.count
        Worker.append("Content-Range: ", to: fileHeaderScratch, at: &length)
        length += write(UnsafeMutableRawBufferPointer(start: fileHeaderScratch + length, count: 64)) ?? 0
        Worker.append("\r\n", to: fileHeaderScratch, at: &length)
        return UnsafeRawBufferPointer(start: fileHeaderScratch, count: length)
    }

    /// Appends a file response's head alone.
    mutating func appendFileHead(slot: UInt32, status: HTTPStatus, contentType: UnsafeRawBufferPointer, length: UInt64,
                                 extra: UnsafeRawBufferPointer, close: Bool) {
        let headRoom = 512 + extra.count
        guard let out = responseOutput(slot: slot, count: headRoom),
              let headLength = writeFileHead(status: status, contentType: contentType, length: length, extra: extra, close: close,
                                             into: UnsafeMutableRawBufferPointer(start: out.pointer, count: headRoom)) else { return }
        commitHandlerOutput(slot: slot, count: headLength, held: out.held)
        recordFileAnswer(status.rawValue, bodyBytes: 0)
    }

    func writeFileHead(status: HTTPStatus, contentType: UnsafeRawBufferPointer, length: UInt64, extra: UnsafeRawBufferPointer, close: Bool,
                       into out: UnsafeMutableRawBufferPointer) -> Int? {
        ResponseWriter.writeHead(status: status, server: responses.serverName, date: date, contentType: contentType,
                                 contentLength: length, close: close, extraHeaders: extra, into: out)
    }
}
