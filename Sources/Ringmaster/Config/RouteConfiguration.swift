// One entry of the `routes` key: a fixed answer, the metrics exposition, a redirect, a health
// check, or a directory of files, each turned into the `StaticRoute` the workers serve.
import RingmasterHTTP

/// A configured route.
public struct RouteConfiguration: Sendable, Equatable {
    /// Exact request path, starting with "/".
    public var path: String
    /// Methods served; static routes serve GET and HEAD only.
    public var methods: [String]
    /// "static" (a fixed answer), "metrics" (the Prometheus exposition), "redirect",
    /// "health" (the body while running, 503 while draining) or "directory" (files).
    public var kind: String
    /// "exact" or "prefix".
    public var match: String = "exact"
    /// Where a redirect points.
    public var location: String? = nil
    public var status: Int
    public var contentType: String
    public var body: String
    /// For directory routes: the root (absolute) and its options.
    public var directory: DirectoryOptions? = nil
    /// Extra response header lines (`headers`), sent in name order.
    public var headers: [String: String] = [:]
    /// For proxy routes: the upstreams and how requests reach them.
    public var proxy: ProxyOptions? = nil

    /// `headers` as "Name: value\r\n" lines, in name order.
    var headerLines: String { headers.keys.sorted().map { "\($0): \(headers[$0]!)\r\n" }.joined() }

    public init(path: String, methods: [String] = ["GET", "HEAD"], kind: String = "static", status: Int = 200,
                contentType: String = "text/plain", body: String) {
        self.path = path
        self.methods = methods
        self.kind = kind
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// The route the worker's response table serves.
    public var staticRoute: StaticRoute {
        let methodSet = methods.reduce(into: MethodSet()) { $0.formUnion(MethodSet.named($1) ?? []) }
        let pathMatch: PathMatch = match == "prefix" ? .prefix : .exact
        switch kind {
        case "metrics":
            return StaticRoute(path: path, match: pathMatch, methods: methodSet, kind: .metrics, extraHeaders: headerLines)
        case "directory":
            return StaticRoute(path: path, match: .prefix, methods: .read, kind: .directory, extraHeaders: headerLines,
                               directory: directory ?? DirectoryOptions(root: "/nonexistent"))
        case "proxy":
            var route = StaticRoute(path: path, match: pathMatch, methods: methodSet, kind: .proxy, extraHeaders: headerLines)
            route.proxy = proxy
            return route
        case "health":
            return StaticRoute(path: path, match: pathMatch, methods: methodSet, kind: .health, status: .ok,
                               contentType: contentType, extraHeaders: headerLines, body: Array(body.utf8))
        case "redirect":
            var route = StaticRoute.redirect(path, to: location ?? "/", status: HTTPStatus(rawValue: UInt16(status)))
            route.match = pathMatch
            route.extraHeaders += headerLines
            route.methods = methodSet.contains(.get) ? methodSet.union(.head) : methodSet
            return route
        default:
            return StaticRoute(path: path, match: pathMatch, methods: methodSet, status: HTTPStatus(rawValue: UInt16(status)),
                               contentType: contentType, extraHeaders: headerLines, body: Array(body.utf8))
        }
    }

    /// The route as one line for `check-config` and reload messages.
    var summary: String {
        switch kind {
        case "metrics": return "\(methods.joined(separator: ",")) \(path) (\(match)) -> metrics"
        case "health": return "\(methods.joined(separator: ",")) \(path) (\(match)) -> health"
        case "directory":
            let d = directory ?? DirectoryOptions(root: "?")
            return "GET,HEAD \(path) (prefix) -> files in \(d.root) index=\(d.index) symlinks=\(d.symlinks.rawValue) precompressed=\(d.precompressed)"
        case "redirect": return "\(methods.joined(separator: ",")) \(path) (\(match)) -> \(status) \(location ?? "")"
        case "proxy":
            let p = proxy ?? ProxyOptions(upstreams: [])
            return "\(methods.joined(separator: ",")) \(path) (\(match)) -> proxy \(p.upstreams.map(\.description).joined(separator: " ")) balance=\(p.balance.rawValue)"
        default: return "\(methods.joined(separator: ",")) \(path) (\(match)) -> \(status) \(contentType) \(body.utf8.count) bytes"
        }
    }
}
