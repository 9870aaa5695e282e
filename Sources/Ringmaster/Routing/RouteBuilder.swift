// The route-adding vocabulary shared by `Router` and `RouteGroup`: one method per HTTP method,
// each in a plain and a throwing variant, all funnelled into `addRoute`. A closure that
// does not throw picks the plain variant, whose handler the worker calls directly.

/// A handler as added: plain, or throwing (wrapped so its errors become responses).
public enum RouteHandler: Sendable {
    case plain(Handler)
    case throwing(ThrowingHandler)
    /// Called at the request's head, before its body has arrived, with `request.bodyChannel`
    /// to read it from (RequestBody); it must defer its response (the async streaming
    /// routes of RouteBuilder+Async do).
    case streamingBody(Handler)
}

/// Something handler routes are added to: a `Router` or one of its `RouteGroup`s.
public protocol RouteBuilder {
    /// Adds `handler` for `methods` on `path`. A path with a `{name}`, `*` or `**` segment is
    /// a pattern route (PathPattern); `match` then must stay `.exact`.
    mutating func addRoute(_ methods: MethodSet, _ path: String, match: PathMatch, _ handler: RouteHandler)
}

extension RouteBuilder {
    /// Adds `handler` for `methods` on `path` (which starts with "/"; matched byte for byte
    /// against the request path, still percent-encoded, without the query).
    public mutating func on(_ methods: MethodSet, _ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        addRoute(methods, path, match: match, .plain(handler))
    }

    /// The same with a handler that throws (docs/handlers.md, "Errors").
    public mutating func on(_ methods: MethodSet, _ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) {
        addRoute(methods, path, match: match, .throwing(handler))
    }

    /// GET (and HEAD: the same handler, the body left out).
    public mutating func get(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) { on(.get, path, match: match, handler) }
    public mutating func get(_ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) { on(.get, path, match: match, handler) }

    public mutating func post(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) { on(.post, path, match: match, handler) }
    public mutating func post(_ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) { on(.post, path, match: match, handler) }

    public mutating func put(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) { on(.put, path, match: match, handler) }
    public mutating func put(_ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) { on(.put, path, match: match, handler) }

    public mutating func delete(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) { on(.delete, path, match: match, handler) }
    public mutating func delete(_ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) {
        on(.delete, path, match: match, handler)
    }

    public mutating func patch(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) { on(.patch, path, match: match, handler) }
    public mutating func patch(_ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) {
        on(.patch, path, match: match, handler)
    }

    /// HEAD alone (a GET route already answers HEAD).
    public mutating func head(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) { on(.head, path, match: match, handler) }
    public mutating func head(_ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) { on(.head, path, match: match, handler) }

    public mutating func options(_ path: String, match: PathMatch = .exact, _ handler: @escaping Handler) {
        on(.options, path, match: match, handler)
    }
    public mutating func options(_ path: String, match: PathMatch = .exact, _ handler: @escaping ThrowingHandler) {
        on(.options, path, match: match, handler)
    }
}
