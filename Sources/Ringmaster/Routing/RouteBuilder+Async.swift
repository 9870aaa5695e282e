// Async handlers (docs/handlers.md, "Async handlers"): `router.get(path) { request async throws
// in ... }`. Each is added as a plain handler that copies the request, defers the response and
// starts a task on the worker's executor; the task's answer finishes the deferred response on
// the same worker. Pipelined requests behind it wait, as behind any deferred response.

/// An async request handler: runs as a task on the worker that received the request, and
/// may await anything (a database client, `Task.sleep`, work on another thread); it resumes
/// on that worker. A thrown `HTTPError` is its status and message, anything else a 500 (logged).
/// Cancelled when the client's connection closes first.
public typealias AsyncHandler = @Sendable (_ request: AsyncRequest) async throws -> AsyncResponse

/// An async handler that reads its request body as it arrives (`body`, in pieces, with
/// backpressure on the client: RequestBody) instead of collected; `request.body` is empty. It
/// starts at the request's head, so it may answer (a 401, a 413) before reading any of it;
/// a body it leaves unread is dropped and the connection closes after the answer.
public typealias StreamingBodyHandler = @Sendable (_ request: AsyncRequest, _ body: RequestBody) async throws -> AsyncResponse

extension RouteBuilder {
    /// Adds an async `handler` for `methods` on `path`.
    public mutating func on(_ methods: MethodSet, _ path: String, match: PathMatch = .exact, _ handler: @escaping AsyncHandler) {
        let name = "\(path)"
        addRoute(methods, path, match: match, .plain { request, response in
            let owned = AsyncRequest(request)
            let later = response.finishLater()
            request.worker.startTask(later, handler: name) { try await handler(owned) }
        })
    }

    public mutating func get(_ path: String, match: PathMatch = .exact, _ handler: @escaping AsyncHandler) { on(.get, path, match: match, handler) }
    public mutating func post(_ path: String, match: PathMatch = .exact, _ handler: @escaping AsyncHandler) { on(.post, path, match: match, handler) }
    public mutating func put(_ path: String, match: PathMatch = .exact, _ handler: @escaping AsyncHandler) { on(.put, path, match: match, handler) }
    public mutating func delete(_ path: String, match: PathMatch = .exact, _ handler: @escaping AsyncHandler) {
        on(.delete, path, match: match, handler)
    }
    public mutating func patch(_ path: String, match: PathMatch = .exact, _ handler: @escaping AsyncHandler) { on(.patch, path, match: match, handler) }

    /// Adds an async `handler` for `methods` on `path` that reads its body as it arrives.
    public mutating func on(_ methods: MethodSet, _ path: String, match: PathMatch = .exact, streamingBody handler: @escaping StreamingBodyHandler) {
        let name = "\(path)"
        addRoute(methods, path, match: match, .streamingBody { request, response in
            let owned = AsyncRequest(request)
            let body = RequestBody(request.bodyChannel)
            let later = response.finishLater()
            request.worker.startTask(later, handler: name) { try await handler(owned, body) }
        })
    }

    public mutating func post(_ path: String, match: PathMatch = .exact, streamingBody handler: @escaping StreamingBodyHandler) {
        on(.post, path, match: match, streamingBody: handler)
    }
    public mutating func put(_ path: String, match: PathMatch = .exact, streamingBody handler: @escaping StreamingBodyHandler) {
        on(.put, path, match: match, streamingBody: handler)
    }
}
