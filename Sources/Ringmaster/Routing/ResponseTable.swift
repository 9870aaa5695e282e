// Pre-built response bytes for static routes: rebuilt when the Date's second changes and
// copied whole into a connection's output, so the hot path formats nothing. Also holds the
// route paths for an allocation-free exact-match lookup. Everything lives in one owned block
// laid out at init, so `refresh` and `match` touch no Swift collection.
import RingmasterHTTP
import Glibc

/// What a request matched.
public enum RouteMatch: Equatable, Sendable {
    case route(Int)
    /// A route takes the path but not the method: 405 with `Allow` listing these.
    case methodNotAllowed(MethodSet)
    case notFound
}

/// Where one route's pieces sit in the table's block.
struct RouteLayout {
    var status: HTTPStatus
    var match: PathMatch
    var methods: MethodSet
    var kind: RouteKind
    var path: (offset: Int, length: Int)
    /// Precedence of a matching route: `Int.max` for exact, `PathPattern.rank` for a pattern,
    /// the path's length for a prefix (the longest wins).
    var rank: Int
    var contentType: (offset: Int, length: Int)
    var extraHeaders: (offset: Int, length: Int)
    var body: (offset: Int, length: Int)
    /// Index 0: keep-alive response; 1: `Connection: close` response.
    var responseOffset: (Int, Int)
    var headLength: (Int, Int)
    /// For `.directory` routes: the root's O_PATH descriptor (-1 when it could not be
    /// opened: every path answers 404), the index file name, the openat2 RESOLVE_* bits and
    /// whether `.gz` siblings are served.
    var directoryFD: Int32 = -1
    var index: (offset: Int, length: Int) = (0, 0)
    var resolve: UInt64 = 0
    var precompressed = false
}

/// Per-worker table of static routes and their current response bytes.
public struct ResponseTable: ~Copyable {
    public let routeCount: Int
    let block: UnsafeMutableRawPointer
    let layouts: UnsafeMutablePointer<RouteLayout>
    let server: (offset: Int, length: Int)
    /// Room for one response (head + body) of the longest route.
    public let maxResponseLength: Int

    public init(routes: [StaticRoute], serverName: String) {
        routeCount = routes.count
        let serverBytes = Array(serverName.utf8)
        // Every route gets two response slots of the longest response's size.
        var longest = 0
        var size = serverBytes.count
        for route in routes {
            longest = max(longest, 200 + serverBytes.count + route.contentType.utf8.count + route.extraHeaders.utf8.count + route.body.count)
            size += route.path.utf8.count + route.contentType.utf8.count + route.extraHeaders.utf8.count + route.body.count
            size += route.directory?.index.utf8.count ?? 0
        }
        size += routes.count * 2 * longest
        maxResponseLength = longest
        block = .allocate(byteCount: max(size, 64), alignment: 64)
        layouts = .allocate(capacity: max(routes.count, 1))
        var offset = 0
        let serverPiece = ResponseTable.put(serverBytes, into: block, at: &offset)
        for (i, route) in routes.enumerated() {
            let path = ResponseTable.put(Array(route.path.utf8), into: block, at: &offset)
            let type = ResponseTable.put(Array(route.contentType.utf8), into: block, at: &offset)
            let extra = ResponseTable.put(Array(route.extraHeaders.utf8), into: block, at: &offset)
            let body = ResponseTable.put(route.body, into: block, at: &offset)
            let first = offset
            offset += 2 * longest
            let rank = switch route.match {
            case .exact: Int.max
            case .pattern: PathPattern.rank(route.path)
            case .prefix: path.length
            }
            layouts[i] = RouteLayout(status: route.status, match: route.match, methods: route.methods, kind: route.kind,
                                     path: path, rank: rank, contentType: type, extraHeaders: extra, body: body,
                                     responseOffset: (first, first + longest), headLength: (0, 0))
            if route.kind == .directory, let options = route.directory {
                layouts[i].index = ResponseTable.put(Array(options.index.utf8), into: block, at: &offset)
                layouts[i].directoryFD = FileOpener.openRoot(options.root)
                layouts[i].resolve = FileOpener.resolveFlags(options.symlinks)
                layouts[i].precompressed = options.precompressed
            }
        }
        server = serverPiece
        refresh(date: HTTPDate(unixSeconds: 0))
    }

    /// Copies `bytes` to `block` at `offset` and advances it.
    private static func put(_ bytes: [UInt8], into block: UnsafeMutableRawPointer, at offset: inout Int) -> (offset: Int, length: Int) {
        let start = offset
        bytes.withUnsafeBytes { if $0.count > 0 { (block + start).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        offset += bytes.count
        return (start, bytes.count)
    }

    deinit {
        for i in 0..<routeCount where layouts[i].directoryFD >= 0 { close(layouts[i].directoryFD) }
        block.deallocate()
        layouts.deallocate()
    }

    private func bytes(_ piece: (offset: Int, length: Int)) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: block + piece.offset, count: piece.length)
    }

    /// Rebuilds every response with `date`. Allocation-free: it runs on the worker thread.
    public mutating func refresh(date: HTTPDate) {
        for i in 0..<routeCount {
            var layout = layouts[i]
            for variant in 0..<2 {
                let close = variant == 1
                let start = close ? layout.responseOffset.1 : layout.responseOffset.0
                let out = UnsafeMutableRawBufferPointer(start: block + start, count: maxResponseLength)
                guard let head = ResponseWriter.writeHead(status: layout.status, server: bytes(server), date: date,
                                                          contentType: bytes(layout.contentType),
                                                          contentLength: UInt64(layout.body.length), close: close,
                                                          extraHeaders: bytes(layout.extraHeaders), into: out),
                      head + layout.body.length <= maxResponseLength else {
                    preconditionFailure("response table budget too small")
                }
                if layout.body.length > 0 { (block + start + head).copyMemory(from: block + layout.body.offset, byteCount: layout.body.length) }
                if close { layout.headLength.1 = head } else { layout.headLength.0 = head }
            }
            layouts[i] = layout
        }
    }

    /// Routes the request: exact routes first, then pattern routes (more literal segments
    /// first), then the longest prefix route; among routes of one rank the first added that
    /// takes the method wins. A path some
    /// route takes, but not with this method, gives `methodNotAllowed` with every method the
    /// path's routes accept. Compares bytes only: no allocation.
    @inline(__always)
    public func match(target: UnsafeRawBufferPointer, method: HTTPMethod) -> RouteMatch {
        guard let base = target.baseAddress else { return .notFound }
        var pathLength = 0
        while pathLength < target.count && target[pathLength] != UInt8(ascii: "?") { pathLength &+= 1 }
        var allowed = MethodSet()
        var best = -1
        var bestLength = -1
        for i in 0..<routeCount {
            let layout = layouts[i]
            let length = layout.path.length
            let hit: Bool
            switch layout.match {
            case .exact: hit = length == pathLength && memcmp(block + layout.path.offset, base, length) == 0
            case .prefix: hit = length <= pathLength && memcmp(block + layout.path.offset, base, length) == 0
            case .pattern:
                hit = PathPattern.match(bytes(layout.path), UnsafeRawBufferPointer(start: base, count: pathLength)) >= 0
            }
            guard hit else { continue }
            let rank = layout.rank
            guard rank >= bestLength else { continue }
            if rank > bestLength { allowed = MethodSet(); best = -1; bestLength = rank }
            allowed.formUnion(layout.methods)
            if best < 0 && layout.methods.contains(method) { best = i }
        }
        if best >= 0 { return .route(best) }
        return bestLength >= 0 ? .methodNotAllowed(allowed) : .notFound
    }

    /// The status code an answer carries: a route's own, 404 or 405 (for counting).
    @inline(__always)
    public func status(of answer: UInt8) -> UInt16 {
        if Int(answer) < routeCount {
            let layout = layouts[Int(answer)]
            return layout.kind == .metrics || layout.kind == .directory ? 200 : layout.status.rawValue
        }
        return answer == 254 ? 405 : 404
    }

    /// What answers route `route`.
    @inline(__always)
    public func kind(of route: Int) -> RouteKind { layouts[route].kind }

    /// The current response bytes for `route`; `headOnly` gives the head alone (HEAD).
    @inline(__always)
    public func response(route: Int, close: Bool, headOnly: Bool) -> UnsafeRawBufferPointer {
        let layout = layouts[route]
        let start = close ? layout.responseOffset.1 : layout.responseOffset.0
        let head = close ? layout.headLength.1 : layout.headLength.0
        return UnsafeRawBufferPointer(start: block + start, count: headOnly ? head : head + layout.body.length)
    }

    /// A route's extra header lines ("Name: value\r\n"...).
    @inline(__always)
    func extraHeaders(of route: Int) -> UnsafeRawBufferPointer { bytes(layouts[route].extraHeaders) }

    /// A route's path bytes.
    @inline(__always)
    func path(of route: Int) -> UnsafeRawBufferPointer { bytes(layouts[route].path) }

    /// A directory route's root and options.
    @inline(__always)
    func directory(of route: Int) -> (fd: Int32, pathLength: Int, index: UnsafeRawBufferPointer, resolve: UInt64, precompressed: Bool) {
        let layout = layouts[route]
        return (layout.directoryFD, layout.path.length, bytes(layout.index), layout.resolve, layout.precompressed)
    }

    /// The longest index file name of any directory route, for sizing path scratch.
    public var longestIndexName: Int {
        var longest = 0
        for i in 0..<routeCount { longest = max(longest, layouts[i].index.length) }
        return longest
    }

    /// The Server header value, for responses written on the fly.
    public var serverName: UnsafeRawBufferPointer { bytes(server) }
}
