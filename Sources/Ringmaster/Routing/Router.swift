// The routes an embedding program builds in code: Swift handlers per method and path, next to
// the kinds the configuration file knows (fixed bodies, redirects, metrics), with groups and
// middleware composed when a route is added (docs/handlers.md). Every worker
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
/// router.get("/api/items/{id}") { request, response in
///     guard let id = request.parameters.int("id") else { throw HTTPError(.badRequest) }
///     ...
/// }
/// router.metrics("/metrics")
/// ```
///
/// Matching is the `ResponseTable`'s: exact routes first, then pattern routes (`/items/{id}`,
/// `*`, a trailing `**`; more literal segments first), then the longest prefix route
/// (`match: .prefix` takes every path that starts with the route's path); when the
/// best-ranked routes for a path do not take the method, it is 405 with `Allow`. A GET route serves HEAD too: the handler
/// runs and only the head is sent. Among routes for the same path and method, the first
/// added wins.
public struct Router: Sendable, RouteBuilder {
    /// The routes in the order they were added; handler routes carry `.handler(i)`.
    public private(set) var routes: [StaticRoute] = []
    /// The handlers, indexed by `RouteKind.handler`.
    public private(set) var handlers: [Handler] = []
    /// "GET /path" per handler, for log lines about its responses.
    public private(set) var handlerNames: [String] = []
    /// Per handler: it reads its body as it arrives (RouteHandler.streamingBody), so it is
    /// called at the head instead of once the body is collected.
    public private(set) var streamsBody: [Bool] = []

    /// Middleware `use` added, applied to handler routes added after it, outermost first.
    private var middleware: [any Middleware] = []

    public init() {}

    /// Adds middleware around every handler route added after this call (outermost first;
    /// routes added before keep their chain). Group middleware runs inside it.
    public mutating func use(_ middleware: any Middleware) {
        self.middleware.append(middleware)
    }

    /// Adds middleware written as a closure.
    public mutating func use(_ body: @escaping @Sendable (_ request: borrowing Request, _ response: inout Response, _ next: MiddlewareNext) throws -> Void) {
        use(MiddlewareFunction(body))
    }

    /// Routes under `prefix` (starting with "/", no trailing "/"), with the router's
    /// middleware and the group's own: `router.group("/api") { api in api.get("/items/{id}") { ... } }`.
    public mutating func group(_ prefix: String, _ build: (inout RouteGroup) throws -> Void) rethrows {
        var group = RouteGroup(prefix: prefix, middleware: middleware, router: self)
        // The group holds the only reference meanwhile, so its appends copy nothing.
        self = Router()
        defer { self = group.router }
        try build(&group)
    }

    public mutating func addRoute(_ methods: MethodSet, _ path: String, match: PathMatch, _ handler: RouteHandler) {
        addRoute(methods, path, match: match, handler, middleware: middleware)
    }

    /// Adds a handler route with `middleware` around it. A plain handler without middleware
    /// is stored as it is, so the worker calls it directly: the features cost a route that
    /// does not use them nothing.
    mutating func addRoute(_ methods: MethodSet, _ path: String, match: PathMatch, _ handler: RouteHandler, middleware: [any Middleware]) {
        Router.check(path)
        precondition(!methods.isEmpty, "a route needs at least one method")
        if let problem = PathPattern.problem(path) { preconditionFailure("route \(path): \(problem)") }
        var match = match
        if PathPattern.isPattern(path) {
            precondition(match == .exact, "route \(path) has parameters: it matches as a pattern (end it in /** for a prefix)")
            match = .pattern
        }
        let route = StaticRoute(path: path, match: match, methods: methods, kind: .handler(handlers.count))
        let name = "\(route.methods.allowList) \(path)\(match == .prefix ? "*" : "")"
        streamsBody.append(false)
        switch handler {
        case .plain(let plain) where middleware.isEmpty:
            handlers.append(plain)
        case .streamingBody(let plain) where middleware.isEmpty:
            handlers.append(plain)
            streamsBody[streamsBody.count - 1] = true
        case .streamingBody(let plain):
            // The middleware runs at the head too: an auth check refuses before any body is read.
            handlers.append(MiddlewareChain(middleware: middleware, handler: { request, response in plain(request, &response) }, route: name).asHandler)
            streamsBody[streamsBody.count - 1] = true
        case .plain(let plain):
            handlers.append(MiddlewareChain(middleware: middleware, handler: { request, response in plain(request, &response) }, route: name).asHandler)
        case .throwing(let throwing):
            handlers.append(MiddlewareChain(middleware: middleware, handler: throwing, route: name).asHandler)
        }
        routes.append(route)
        handlerNames.append(name)
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
