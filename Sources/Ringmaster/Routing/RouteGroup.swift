// Routes under a common path prefix with middleware of their own:
// `router.group("/api") { api in api.use(auth); api.get("/items/{id}") { ... } }`. A group
// only rewrites what is added through it (prefix, middleware list) and hands it to the
// router it was opened on; there is no group at request time.

/// Routes added under `prefix`, with the middleware in force when the group was opened plus
/// the group's own.
public struct RouteGroup: RouteBuilder {
    /// The full prefix ("/api/v1" for a group "/v1" inside a group "/api").
    public let prefix: String
    var middleware: [any Middleware]
    /// The router being built: the group's routes go straight into it.
    var router: Router

    init(prefix: String, middleware: [any Middleware], router: consuming Router) {
        precondition(prefix.first == "/" && !prefix.hasSuffix("/") && !PathPattern.isPattern(prefix),
                     "a group prefix starts with \"/\", does not end with one and has no parameters: \(prefix)")
        self.prefix = prefix
        self.middleware = middleware
        self.router = router
    }

    /// Adds middleware for the group's routes added after this call (outermost first).
    public mutating func use(_ middleware: any Middleware) {
        self.middleware.append(middleware)
    }

    /// Adds middleware written as a closure.
    public mutating func use(_ body: @escaping @Sendable (_ request: borrowing Request, _ response: inout Response, _ next: MiddlewareNext) throws -> Void) {
        use(MiddlewareFunction(body))
    }

    /// `path` under the prefix: "/items" is "/api/items", "/" the prefix itself.
    public mutating func addRoute(_ methods: MethodSet, _ path: String, match: PathMatch, _ handler: RouteHandler) {
        router.addRoute(methods, path == "/" ? prefix : prefix + path, match: match, handler, middleware: middleware)
    }

    /// A group inside this one: its prefix follows this group's, its middleware this group's.
    public mutating func group(_ prefix: String, _ build: (inout RouteGroup) throws -> Void) rethrows {
        var inner = RouteGroup(prefix: self.prefix + prefix, middleware: middleware, router: router)
        router = Router()
        defer { router = inner.router }
        try build(&inner)
    }
}
