// Static files: a directory route's request path is normalised (RequestPath), mapped under
// the route's root, found in the worker's file cache or opened beneath the root, and answered
// with 200, 206, 304, 416 or a redirect to the directory's slash form. Small files are copied
// from the cache into the output; larger ones go out through a body stream (Worker+Streams).
import Glibc
import RingmasterHTTP

/// Where a file's bytes come from.
enum FileLookup {
    /// A cache entry (index).
    case cached(Int)
    /// Open, too large for the cache: streamed with IORING_OP_READ.
    case opened(fd: Int32, facts: FileFacts, headersLength: Int, tagLength: Int)
    /// A directory: redirect to the path with a slash, or serve its index.
    case directory
    /// A `.gz` sibling that does not exist.
    case absent
    case failed(FileOpenFailure)
}

extension Worker {
    /// Answers a GET or HEAD for route `route` (a directory route) now.
    mutating func serveFile(slot: UInt32, route: Int, head: RequestHead, in buffer: UnsafeRawBufferPointer, close: Bool, headOnly: Bool) {
        let directory = responses.directory(of: route)
        let scratch = UnsafeMutableRawBufferPointer(start: pathScratch, count: pathScratchSize)
        let normalized: RequestPath
        switch RequestPath.parse(head.target(in: buffer), into: scratch) {
        case .rejected(let reason):
            statistics.add(.pathRejections)
            respondError(slot: slot, status: reason.status)
            return
        case .normalized(let path): normalized = path
        }
        // The route matched the raw target; the normalised path must still be under the
        // route's path, at a segment boundary ("/static" does not take "/staticfoo").
        let prefix = directory.pathLength
        let routePath = responses.path(of: route)
        guard normalized.length >= prefix, memcmp(pathScratch, routePath.baseAddress!, prefix) == 0,
              routePath[prefix - 1] == UInt8(ascii: "/") || normalized.length == prefix || pathScratch.load(fromByteOffset: prefix, as: UInt8.self) == UInt8(ascii: "/") else {
            appendFileError(slot: slot, status: .notFound, close: close, headOnly: headOnly)
            return
        }
        // The path relative to the root, without its leading "/": openat2 wants it relative.
        var start = prefix
        if start < normalized.length && pathScratch.load(fromByteOffset: start, as: UInt8.self) == UInt8(ascii: "/") { start += 1 }
        var length = normalized.length - start
        let relative = pathScratch + start
        let indexAppended = length == 0 || normalized.trailingSlash
        if indexAppended {
            (relative + length).copyMemory(from: directory.index.baseAddress!, byteCount: directory.index.count)
            length += directory.index.count
        }
        let fields = FileRequestFields.scan(UnsafeBufferPointer(headerFields), count: head.headerCount, in: buffer)
        var gzip = false
        var lookup = FileLookup.absent
        if directory.precompressed && FileRequestFields.allowsGzip(fields.acceptEncoding) {
            Worker.append(".gz", to: relative, at: &length)
            lookup = findFile(route: route, variant: 1, path: relative, length: length, directory: directory)
            length -= 3
            gzip = true
            switch lookup {
            case .cached, .opened: break
            // No servable sibling: the plain file answers.
            default: gzip = false; lookup = .absent
            }
        }
        if case .absent = lookup { lookup = findFile(route: route, variant: 0, path: relative, length: length, directory: directory) }
        let type = MIMEType.contentType(forPath: UnsafeRawBufferPointer(start: relative, count: length))
        let contentType = UnsafeRawBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount)
        switch lookup {
        case .cached(let index):
            let entry = fileCache.entries[index]
            let block = entry.block!
            answerFile(slot: slot, facts: entry.facts, contentType: contentType, headers: UnsafeRawBufferPointer(start: block.payload, count: entry.headersLength),
                       tagLength: entry.entityTagLength, body: .memory(block, UnsafeRawPointer(block.payload + entry.headersLength)),
                       fields: fields, close: close, headOnly: headOnly)
        case .opened(let fd, let facts, let headersLength, let tagLength):
            answerFile(slot: slot, facts: facts, contentType: contentType, headers: UnsafeRawBufferPointer(start: fileHeaderScratch, count: headersLength),
                       tagLength: tagLength, body: .file(fd), fields: fields, close: close, headOnly: headOnly)
        case .directory where indexAppended:
            // The index name is itself a directory: a redirect would only add another slash.
            appendFileError(slot: slot, status: .notFound, close: close, headOnly: headOnly)
        case .directory:
            redirectToDirectory(slot: slot, path: UnsafeRawBufferPointer(start: pathScratch, count: normalized.length),
                                query: normalized.query.map { UnsafeRawBufferPointer(rebasing: head.target(in: buffer)[$0]) }, close: close, headOnly: headOnly)
        case .absent, .failed(.notFound):
            appendFileError(slot: slot, status: .notFound, close: close, headOnly: headOnly)
        case .failed(.forbidden):
            appendFileError(slot: slot, status: .forbidden, close: close, headOnly: headOnly)
        case .failed(.unavailable):
            statistics.add(.fileErrors)
            appendFileError(slot: slot, status: .internalServerError, close: close, headOnly: headOnly)
        }
    }

    /// 404, 403 or 500 for a file, with a short text body; the connection stays open.
    mutating func appendFileError(slot: UInt32, status: HTTPStatus, close: Bool, headOnly: Bool) {
        let body: UnsafeRawBufferPointer
        switch status {
        case .notFound: body = Worker.notFoundBody
        case .forbidden: body = Worker.bytes("Forbidden\n")
        case .uriTooLong: body = Worker.bytes("URI Too Long\n")
        default: body = Worker.bytes("Internal Server Error\n")
        }
        recordFileAnswer(status.rawValue, bodyBytes: headOnly ? 0 : UInt64(body.count))
        appendGenerated(slot: slot, status: status, body: body, extraHeaders: Worker.bytes(""), close: close, headOnly: headOnly)
    }

    /// 301 from `/dir` to `/dir/` (keeping the query), so the index's relative links resolve
    /// against the directory, as every web server does.
    mutating func redirectToDirectory(slot: UInt32, path: UnsafeRawBufferPointer, query: UnsafeRawBufferPointer?, close: Bool, headOnly: Bool) {
        // Percent-encoding can triple the path: past 8 KiB of Location the answer is 414
        // rather than a head no chunk could hold.
        guard 3 * path.count + (query?.count ?? 0) + 16 <= 8192 else {
            appendFileError(slot: slot, status: .uriTooLong, close: close, headOnly: headOnly)
            return
        }
        recordFileAnswer(301, bodyBytes: 0)
        var length = 0
        Worker.append("Location: ", to: fileHeaderScratch, at: &length)
        // The normalised path is decoded; bytes outside visible ASCII go back out encoded.
        for byte in path { Worker.appendEncoded(byte, to: fileHeaderScratch, at: &length) }
        Worker.append("/", to: fileHeaderScratch, at: &length)
        if let query {
            Worker.append("?", to: fileHeaderScratch, at: &length)
            (fileHeaderScratch + length).copyMemory(from: query.baseAddress!, byteCount: query.count)
            length += query.count
        }
        Worker.append("\r\n", to: fileHeaderScratch, at: &length)
        appendGenerated(slot: slot, status: .movedPermanently, body: Worker.bytes(""),
                        extraHeaders: UnsafeRawBufferPointer(start: fileHeaderScratch, count: length), close: close, headOnly: headOnly)
    }

    /// Counts a file answer by status and keeps it for the access log line.
    @inline(__always)
    mutating func recordFileAnswer(_ status: UInt16, bodyBytes: UInt64) {
        statistics.recordStatus(status)
        fileAnswer = (status, bodyBytes)
    }

    /// Appends `byte` as itself when it is safe in a Location path, else as %XX.
    static func appendEncoded(_ byte: UInt8, to base: UnsafeMutableRawPointer, at length: inout Int) {
        let safe = (byte >= 0x21 && byte < 0x7F) && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "?") && byte != UInt8(ascii: "#")
        if safe {
            base.storeBytes(of: byte, toByteOffset: length, as: UInt8.self)
            length += 1
            return
        }
        let hex: StaticString = "0123456789ABCDEF"
        base.storeBytes(of: UInt8(ascii: "%"), toByteOffset: length, as: UInt8.self)
        base.storeBytes(of: hex.utf8Start[Int(byte >> 4)], toByteOffset: length + 1, as: UInt8.self)
        base.storeBytes(of: hex.utf8Start[Int(byte & 15)], toByteOffset: length + 2, as: UInt8.self)
        length += 3
    }
}
