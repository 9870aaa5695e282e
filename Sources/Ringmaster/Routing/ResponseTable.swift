// Pre-built response bytes for static routes: rebuilt when the Date's second changes and
// copied whole into a connection's output, so the hot path formats nothing. Also holds the
// route paths for an allocation-free exact-match lookup. Everything lives in one owned block
// laid out at init, so `refresh` and `match` touch no Swift collection.
import RingmasterHTTP
import Glibc

/// What a request target matched.
public enum RouteMatch: Equatable, Sendable {
    case route(Int)
    case notFound
}

/// Where one route's pieces sit in the table's block.
struct RouteLayout {
    var status: HTTPStatus
    var path: (offset: Int, length: Int)
    var contentType: (offset: Int, length: Int)
    var body: (offset: Int, length: Int)
    /// Index 0: keep-alive response; 1: `Connection: close` response.
    var responseOffset: (Int, Int)
    var headLength: (Int, Int)
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
            longest = max(longest, 200 + serverBytes.count + route.contentType.utf8.count + route.body.count)
            size += route.path.utf8.count + route.contentType.utf8.count + route.body.count
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
            let body = ResponseTable.put(route.body, into: block, at: &offset)
            let first = offset
            offset += 2 * longest
            layouts[i] = RouteLayout(status: route.status, path: path, contentType: type, body: body,
                                     responseOffset: (first, first + longest), headLength: (0, 0))
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
                                                          extraHeaders: UnsafeRawBufferPointer(start: nil, count: 0), into: out),
                      head + layout.body.length <= maxResponseLength else {
                    preconditionFailure("response table budget too small")
                }
                if layout.body.length > 0 { (block + start + head).copyMemory(from: block + layout.body.offset, byteCount: layout.body.length) }
                if close { layout.headLength.1 = head } else { layout.headLength.0 = head }
            }
            layouts[i] = layout
        }
    }

    /// Exact match of the target's path (the part before `?`) against the route paths.
    @inline(__always)
    public func match(target: UnsafeRawBufferPointer) -> RouteMatch {
        guard let base = target.baseAddress else { return .notFound }
        var pathLength = 0
        while pathLength < target.count && target[pathLength] != UInt8(ascii: "?") { pathLength &+= 1 }
        for i in 0..<routeCount {
            let path = layouts[i].path
            if path.length == pathLength, memcmp(block + path.offset, base, pathLength) == 0 { return .route(i) }
        }
        return .notFound
    }

    /// The current response bytes for `route`; `headOnly` gives the head alone (HEAD).
    @inline(__always)
    public func response(route: Int, close: Bool, headOnly: Bool) -> UnsafeRawBufferPointer {
        let layout = layouts[route]
        let start = close ? layout.responseOffset.1 : layout.responseOffset.0
        let head = close ? layout.headLength.1 : layout.headLength.0
        return UnsafeRawBufferPointer(start: block + start, count: headOnly ? head : head + layout.body.length)
    }

    /// The Server header value, for responses written on the fly.
    public var serverName: UnsafeRawBufferPointer { bytes(server) }
}
