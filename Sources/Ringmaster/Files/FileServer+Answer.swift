// Answering a found file: conditional requests (304), a single byte range (206 or 416) and
// HEAD, then the body copied behind the head when it fits a chunk, else streamed after it.
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

extension FileServer {
    /// The answer for a file of `facts` whose own header lines are `headers` (the entity-tag
    /// at offset 6, `tagLength` bytes). `chunkSize` bounds a body copied behind its head.
    mutating func answer(facts: FileFacts, contentType: UnsafeRawBufferPointer, headers: UnsafeRawBufferPointer, tagLength: Int,
                         body: FileBody, fields: FileRequestFields, date: HTTPDate, headOnly: Bool) -> Answer {
        let tag = UnsafeRawBufferPointer(rebasing: headers[6..<(6 + tagLength)])
        if ConditionalRequest.isNotModified(ifNoneMatch: fields.ifNoneMatch, ifModifiedSince: fields.ifModifiedSince,
                                            entityTag: tag, lastModified: Int(facts.modifiedSeconds), now: date.unixSeconds) {
            body.discard()
            // RFC 9110 §15.4.5: a 304 carries the validators a 200 would; its Content-Length,
            // if any, must be the 200's, and it never has a body.
            return .response(AnswerHead(status: .notModified, contentType: contentType, contentLength: facts.size, extraHeaders: headers), .none)
        }
        var status = HTTPStatus.ok
        var first: UInt64 = 0
        var count = facts.size
        var extra = headers
        if let range = fields.range, FileServer.ifRangeHolds(fields.ifRange, tag: tag) {
            switch ByteRange.parse(range, length: facts.size) {
            case .satisfiable(let byteRange):
                status = .partialContent
                first = byteRange.first
                count = byteRange.count
                extra = withContentRange(headers) { byteRange.writeContentRange(length: facts.size, into: $0) }
            case .unsatisfiable:
                body.discard()
                extra = withContentRange(headers) { ByteRange.writeUnsatisfiedContentRange(length: facts.size, into: $0) }
                return .response(AnswerHead(status: .rangeNotSatisfiable, contentType: contentType, contentLength: 0, extraHeaders: extra), .none)
            case .ignore:
                break
            }
        }
        let head = AnswerHead(status: status, contentType: contentType, contentLength: count, extraHeaders: extra)
        if headOnly || count == 0 {
            body.discard()
            return .response(head, .none)
        }
        if case .memory(_, let bytes) = body, 512 + extra.count + Int(count) <= chunkSize {
            // Small enough to go out with the head in one send: one memcpy, no stream.
            return .response(head, .inline(UnsafeRawBufferPointer(start: bytes + Int(first), count: Int(count))))
        }
        return .response(head, .stream(body, offset: first, count: count))
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
        if UnsafeRawPointer(headerScratch) != headers.baseAddress {
            headerScratch.copyMemory(from: headers.baseAddress!, byteCount: headers.count)
        }
        var length = headers.count
        Worker.append("Content-Range: ", to: headerScratch, at: &length)
        length += write(UnsafeMutableRawBufferPointer(start: headerScratch + length, count: 64)) ?? 0
        Worker.append("\r\n", to: headerScratch, at: &length)
        return UnsafeRawBufferPointer(start: headerScratch, count: length)
    }
}
