// Static files, a component of each worker (DESIGN.md, "feature components"): a directory
// route's request path is normalised (RequestPath), mapped under the route's root, found in
// the file cache or opened beneath the root, and answered with 200, 206, 304, 416 or a
// redirect to the directory's slash form. It owns its cache and scratch memory and returns an
// `Answer`; the worker commits it. Small files are copied from the cache behind the head;
// larger ones go out through a body stream (Worker+Streams).
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

/// The per-worker file server: the small-file cache and the scratch a request's path and file
/// headers are written into.
struct FileServer: ~Copyable {
    var cache: FileCache
    /// A request's normalised path, with room for the index name, ".gz" and a NUL.
    var pathScratch: UnsafeMutableRawPointer
    var pathScratchSize: Int
    /// File validator lines with a route's own headers (at most 4 KiB) and a Content-Range
    /// line, a handler's headers after a file's validators, or a Location (capped at 8 KiB).
    let headerScratch: UnsafeMutableRawPointer
    static let headerScratchSize = 16384
    /// The output chunk's size: a head and body larger than this are streamed, not copied.
    let chunkSize: Int
    let statistics: WorkerStatistics

    init(cacheBytes: Int, cacheFileMax: Int, pathScratchSize: Int, chunkSize: Int, statistics: WorkerStatistics) {
        self.chunkSize = chunkSize
        cache = FileCache(maxBytes: cacheBytes, maxFileSize: cacheFileMax)
        self.pathScratchSize = pathScratchSize
        pathScratch = .allocate(byteCount: pathScratchSize, alignment: 16)
        headerScratch = .allocate(byteCount: FileServer.headerScratchSize, alignment: 16)
        self.statistics = statistics
    }

    deinit {
        pathScratch.deallocate()
        headerScratch.deallocate()
    }

    /// A normalised path is never longer than the request line; then the index name, ".gz"
    /// and a NUL. Three times that holds a redirect's percent-encoded Location too.
    static func pathScratchSize(limits: HTTPLimits, responses: borrowing ResponseTable) -> Int {
        limits.maxRequestLine + responses.longestIndexName + 8
    }

    /// After a reload: cache keys hold route numbers, which a new table may give to other
    /// routes, and the path scratch must fit the new limits.
    mutating func reset(limits: HTTPLimits, responses: borrowing ResponseTable) {
        cache.removeAll()
        let size = FileServer.pathScratchSize(limits: limits, responses: responses)
        if size > pathScratchSize {
            pathScratch.deallocate()
            pathScratch = .allocate(byteCount: size, alignment: 16)
            pathScratchSize = size
        }
    }

    /// The answer to a GET or HEAD for route `route` (a directory route), or the 4xx that
    /// refuses its path (`.error`, which closes the connection).
    mutating func serve(route: Int, head: RequestHead, in buffer: UnsafeRawBufferPointer, fields headerFields: UnsafeBufferPointer<HTTPHeaderField>,
                        responses: borrowing ResponseTable, date: HTTPDate, headOnly: Bool) -> Answer {
        let directory = responses.directory(of: route)
        let scratch = UnsafeMutableRawBufferPointer(start: pathScratch, count: pathScratchSize)
        let normalized: RequestPath
        switch RequestPath.parse(head.target(in: buffer), into: scratch) {
        case .rejected(let reason):
            statistics.add(.pathRejections)
            return .error(reason.status)
        case .normalized(let path): normalized = path
        }
        // The route matched the raw target; the normalised path must still be under the
        // route's path, at a segment boundary ("/static" does not take "/staticfoo").
        let prefix = directory.pathLength
        let routePath = responses.path(of: route)
        guard normalized.length >= prefix, memcmp(pathScratch, routePath.baseAddress!, prefix) == 0,
              routePath[prefix - 1] == UInt8(ascii: "/") || normalized.length == prefix || pathScratch.load(fromByteOffset: prefix, as: UInt8.self) == UInt8(ascii: "/") else {
            return FileServer.failure(.notFound, headOnly: headOnly)
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
        let fields = FileRequestFields.scan(headerFields, count: head.headerCount, in: buffer)
        var gzip = false
        var lookup = FileLookup.absent
        if directory.precompressed && FileRequestFields.allowsGzip(fields.acceptEncoding) {
            Worker.append(".gz", to: relative, at: &length)
            lookup = findFile(route: route, variant: 1, path: relative, length: length, directory: directory, responses: responses, date: date)
            length -= 3
            gzip = true
            switch lookup {
            case .cached, .opened: break
            // No servable sibling: the plain file answers.
            default: gzip = false; lookup = .absent
            }
        }
        if case .absent = lookup { lookup = findFile(route: route, variant: 0, path: relative, length: length, directory: directory, responses: responses, date: date) }
        let type = MIMEType.contentType(forPath: UnsafeRawBufferPointer(start: relative, count: length))
        let contentType = UnsafeRawBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount)
        switch lookup {
        case .cached(let index):
            let entry = cache.entries[index]
            let block = entry.block!
            return answer(facts: entry.facts, contentType: contentType, headers: UnsafeRawBufferPointer(start: block.payload, count: entry.headersLength),
                          tagLength: entry.entityTagLength, body: .memory(block, UnsafeRawPointer(block.payload + entry.headersLength)),
                          fields: fields, date: date, headOnly: headOnly)
        case .opened(let fd, let facts, let headersLength, let tagLength):
            return answer(facts: facts, contentType: contentType, headers: UnsafeRawBufferPointer(start: headerScratch, count: headersLength),
                          tagLength: tagLength, body: .file(fd), fields: fields, date: date, headOnly: headOnly)
        case .directory where indexAppended:
            // The index name is itself a directory: a redirect would only add another slash.
            return FileServer.failure(.notFound, headOnly: headOnly)
        case .directory:
            return redirectToDirectory(path: UnsafeRawBufferPointer(start: pathScratch, count: normalized.length),
                                       query: normalized.query.map { UnsafeRawBufferPointer(rebasing: head.target(in: buffer)[$0]) }, headOnly: headOnly)
        case .absent, .failed(.notFound):
            return FileServer.failure(.notFound, headOnly: headOnly)
        case .failed(.forbidden):
            return FileServer.failure(.forbidden, headOnly: headOnly)
        case .failed(.unavailable):
            statistics.add(.fileErrors)
            return FileServer.failure(.internalServerError, headOnly: headOnly)
        }
    }

    /// 404, 403, 414 or 500 for a file, with a short text body; the connection stays open.
    static func failure(_ status: HTTPStatus, headOnly: Bool) -> Answer {
        let body: UnsafeRawBufferPointer
        switch status {
        case .notFound: body = Worker.notFoundBody
        case .forbidden: body = Worker.bytes("Forbidden\n")
        case .uriTooLong: body = Worker.bytes("URI Too Long\n")
        default: body = Worker.bytes("Internal Server Error\n")
        }
        return Worker.text(status, body, headOnly: headOnly)
    }

    /// 301 from `/dir` to `/dir/` (keeping the query), so the index's relative links resolve
    /// against the directory, as every web server does.
    func redirectToDirectory(path: UnsafeRawBufferPointer, query: UnsafeRawBufferPointer?, headOnly: Bool) -> Answer {
        // Percent-encoding can triple the path: past 8 KiB of Location the answer is 414
        // rather than a head no chunk could hold.
        guard 3 * path.count + (query?.count ?? 0) + 16 <= 8192 else { return FileServer.failure(.uriTooLong, headOnly: headOnly) }
        var length = 0
        Worker.append("Location: ", to: headerScratch, at: &length)
        // The normalised path is decoded; bytes outside visible ASCII go back out encoded.
        for byte in path { FileServer.appendEncoded(byte, to: headerScratch, at: &length) }
        Worker.append("/", to: headerScratch, at: &length)
        if let query {
            Worker.append("?", to: headerScratch, at: &length)
            (headerScratch + length).copyMemory(from: query.baseAddress!, byteCount: query.count)
            length += query.count
        }
        Worker.append("\r\n", to: headerScratch, at: &length)
        return Worker.text(.movedPermanently, Worker.bytes(""), headers: UnsafeRawBufferPointer(start: headerScratch, count: length), headOnly: headOnly)
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
