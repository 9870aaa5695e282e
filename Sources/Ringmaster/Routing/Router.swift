// The routes an embedding program builds in code: Swift handlers per method and path, next to
// the kinds the configuration file knows (fixed bodies, redirects, metrics). Every worker
// builds the same list into its `ResponseTable`, ahead of the configured routes, so lookups
// stay allocation-free and a code route wins over a configured one for the same request.
import RingmasterHTTP

/// A request handler. Runs on the worker thread that received the request; all workers share
/// it, hence `@Sendable`. `request` is borrowed for the call only; `response` is written in
/// place. It must not block (docs/handlers.md): no sleeping, no blocking I/O, no lock held
/// long. Work that completes later uses `Response.finishLater()`.
public typealias Handler = @Sendable (_ request: borrowing Request, _ response: inout Response) -> Void

/// Routes built in code, passed to `Server(configuration:router:logger:)`.
///
/// ```swift
/// var router = Router()
/// router.get("/hello") { request, response in
///     response.write("Hello, \(request.queryItem("name") ?? "world")!\n")
/// }
/// router.get("/api/items/", match: .prefix) { request, response in ... }
/// router.metrics("/metrics")
/// ```
///
/// Matching is the `ResponseTable`'s: exact routes first, then the longest prefix route
/// (`match: .prefix` takes every path that starts with the route's path); a path some route
/// takes with other methods is 405 with `Allow`. A GET route serves HEAD too: the handler
/// runs and only the head is sent. Among routes for the same path and method, the first
/// added wins.
public struct Router: Sendable {
    /// The routes in the order they were added; handler routes carry `.handler(i)`.
    public private(set) var routes: [StaticRoute] = []
    /// The handlers, indexed by `RouteKind.handler`.
    public private(set) var handlers: [Handler] = []
    /// "GET /path" per handler, for log lines about its responses.
    public private(set) var handlerNames: [String] = []

    public init() {}

    /// Adds `handler` for `methods` on `path` (which starts with "/"; matched byte for
    /// byte against the request path, still percent-encoded, without the query).
    public mutating func on(_ methods: MethodSet, _ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        Router.check(path)
        precondition(!methods.isEmpty, "a route needs at least one method")
        let route = StaticRoute(path: path, match: match, methods: methods, kind: .handler(handlers.count))
        routes.append(route)
        handlers.append(handler)
        handlerNames.append("\(route.methods.allowList) \(path)\(match == .prefix ? "*" : "")")
    }

    /// GET (and HEAD: the same handler, the body left out).
    public mutating func get(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.get, path, match: match, handler)
    }

    public mutating func post(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.post, path, match: match, handler)
    }

    public mutating func put(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.put, path, match: match, handler)
    }

    public mutating func delete(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.delete, path, match: match, handler)
    }

    public mutating func patch(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.patch, path, match: match, handler)
    }

    /// HEAD alone (a GET route already answers HEAD).
    public mutating func head(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.head, path, match: match, handler)
    }

    public mutating func options(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.options, path, match: match, handler)
    }

    /// A fixed answer, pre-built per worker and copied whole (the config file's "static" kind).
    public mutating func body(_ path: String, match: PathMatch = .exact, methods: MethodSet = .read, status: HTTPStatus = .ok,
                              contentType: String = "text/plain; charset=utf-8", _ body: [UInt8]) {
        add(StaticRoute(path: path, match: match, methods: methods, status: status, contentType: contentType, body: body))
    }

    /// A fixed text answer.
    public mutating func body(_ path: String, match: PathMatch = .exact, methods: MethodSet = .read, status: HTTPStatus = .ok,
                              contentType: String = "text/plain; charset=utf-8", _ text: String) {
        body(path, match: match, methods: methods, status: status, contentType: contentType, Array(text.utf8))
    }

    /// A redirect to `location` (301, 302, 307 or 308).
    public mutating func redirect(_ path: String, to location: String, status: HTTPStatus = .found) {
        precondition(!location.utf8.contains { $0 < 0x21 || $0 == 0x7F }, "a redirect location is visible ASCII")
        add(StaticRoute.redirect(path, to: location, status: status))
    }

    /// Every worker's counters in the Prometheus text format.
    public mutating func metrics(_ path: String = "/metrics") {
        add(StaticRoute(path: path, kind: .metrics))
    }

    /// Adds a route of a kind the table already serves (body, redirect, metrics).
    /// Serves the files under `options.root` for every path starting with `path` (end it
    /// with "/"), as a `kind: "directory"` route does (docs/files.md).
    public mutating func files(_ path: String, _ options: DirectoryOptions) {
        add(StaticRoute.files(path, options))
    }

    /// A health check: `body` with 200 while the server runs, 503 while it drains.
    public mutating func health(_ path: String, body: String = "ok\n") {
        add(StaticRoute.health(path, body: body))
    }

    public mutating func add(_ route: StaticRoute) {
        Router.check(route.path)
        if case .handler = route.kind { preconditionFailure("handler routes are added with on(_:_:match:_:)") }
        precondition(!route.extraHeaders.utf8.contains(0) && route.contentType.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F },
                     "a route's content type and headers are visible ASCII")
        routes.append(route)
    }

    /// The largest fixed answer's body, which the worker's output chunks must hold whole.
    var largestBody: Int { routes.map(\.body.count).max() ?? 0 }

    private static func check(_ path: String) {
        precondition(path.first == "/" && path.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F },
                     "a route path starts with \"/\" and is visible ASCII: \(path)")
    }
}
