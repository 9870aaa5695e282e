// A route of the router: which requests it takes (path, exact or prefix, methods) and what
// answers them (a pre-built body, metrics generated per request, files, a health check, or a
// Swift handler). Built once per worker
// into a `ResponseTable`; looked up without allocation.
import RingmasterHTTP

/// How a route's path matches a request path.
public enum PathMatch: Sendable, Equatable {
    /// The request path equals the route path.
    case exact
    /// The request path starts with the route path (the longest such route wins).
    case prefix
    /// The route path has parameters (`{id}`), `*` or a trailing `**` (PathPattern): ranked
    /// below exact routes and above prefix routes, more literal segments first.
    case pattern
}

/// What answers a route.
public enum RouteKind: Sendable, Equatable {
    /// The fixed status, headers and body (static bodies, health checks, redirects).
    case body
    /// The Prometheus text exposition of every worker's counters.
    case metrics
    /// Files under a root directory (`StaticRoute.directory` says which and how).
    case directory
    /// The fixed body while the server runs, 503 once it drains, so a load balancer's
    /// readiness check takes the instance out before its listeners close.
    case health
    /// A Swift handler of the server's `Router`: the index into its handler list.
    case handler(Int)
    /// Forwarded to an upstream server (`StaticRoute.proxy` says which; docs/proxy.md).
    case proxy
}

/// Request methods a route accepts, one bit per `HTTPMethod`.
public struct MethodSet: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ method: HTTPMethod) { rawValue = 1 << UInt16(method.rawValue) }

    public static let get = MethodSet(.get)
    public static let head = MethodSet(.head)
    public static let post = MethodSet(.post)
    public static let put = MethodSet(.put)
    public static let delete = MethodSet(.delete)
    public static let options = MethodSet(.options)
    public static let patch = MethodSet(.patch)
    /// GET and HEAD: what a read-only route serves.
    public static let read: MethodSet = [.get, .head]

    @inline(__always)
    public func contains(_ method: HTTPMethod) -> Bool { rawValue & (1 << UInt16(method.rawValue)) != 0 }

    /// Parses "GET", "post", ... ; nil for an unknown name.
    public static func named(_ name: String) -> MethodSet? {
        switch name.uppercased() {
        case "GET": return .get
        case "HEAD": return .head
        case "POST": return .post
        case "PUT": return .put
        case "DELETE": return .delete
        case "OPTIONS": return .options
        case "PATCH": return .patch
        default: return nil
        }
    }

    /// The names for an `Allow` header, in a fixed order ("GET, HEAD, POST").
    public var allowList: String {
        let names: [(MethodSet, String)] = [(.get, "GET"), (.head, "HEAD"), (.post, "POST"), (.put, "PUT"),
                                            (.delete, "DELETE"), (.options, "OPTIONS"), (.patch, "PATCH")]
        return names.filter { contains($0.0) }.map(\.1).joined(separator: ", ")
    }
}

/// A route: the request it takes and its answer.
public struct StaticRoute: Sendable, Equatable {
    public var path: String
    public var match: PathMatch
    /// Methods served; HEAD is served wherever GET is.
    public var methods: MethodSet
    public var kind: RouteKind
    public var status: HTTPStatus
    public var contentType: String
    /// Extra header lines, each "Name: value\r\n" (e.g. Location for a redirect).
    public var extraHeaders: String
    public var body: [UInt8]
    /// For `.directory` routes: the root and how files under it are served.
    public var directory: DirectoryOptions?
    /// For `.proxy` routes: the upstreams.
    public var proxy: ProxyOptions?

    public init(path: String, match: PathMatch = .exact, methods: MethodSet = .read, kind: RouteKind = .body,
                status: HTTPStatus = .ok, contentType: String = "text/plain", extraHeaders: String = "", body: [UInt8] = [],
                directory: DirectoryOptions? = nil) {
        self.path = path
        self.match = match
        self.methods = methods.contains(.get) ? methods.union(.head) : methods
        self.kind = kind
        self.status = status
        self.contentType = contentType
        self.extraHeaders = extraHeaders
        self.body = body
        self.directory = directory
    }

    /// Files under `options.root`, served for every path starting with `path` (which should
    /// end in "/"): `/static/css/a.css` is `root/css/a.css`.
    public static func files(_ path: String, _ options: DirectoryOptions) -> StaticRoute {
        StaticRoute(path: path, match: .prefix, methods: .read, kind: .directory, directory: options)
    }

    /// A health check: `body` with 200 while running, 503 while draining.
    public static func health(_ path: String, body: String = "ok\n") -> StaticRoute {
        StaticRoute(path: path, kind: .health, body: Array(body.utf8))
    }

    /// A redirect to `location` with `status` (301, 302, 307 or 308).
    public static func redirect(_ path: String, to location: String, status: HTTPStatus = .found) -> StaticRoute {
        StaticRoute(path: path, status: status, extraHeaders: "Location: \(location)\r\n", body: Array("\(location)\n".utf8))
    }
}
