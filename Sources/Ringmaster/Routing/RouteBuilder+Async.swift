// Async handlers (docs/handlers.md, "Async handlers"): `router.get(path) { request async throws
// in ... }`. Each is added as a plain handler that copies the request, defers the response and
// starts a task on the worker's executor; the task's answer finishes the deferred response on
// the same worker. Pipelined requests behind it wait, as behind any deferred response.

/// An async request handler: runs as a task on the worker that received the request, and
/// may await anything (a database client, `Task.sleep`, work on another thread); it resumes
/// on that worker. A thrown `HTTPError` is its status and message, anything else a 500 (logged).
/// Cancelled when the client's connection closes first.
public typealias AsyncHandler = @Sendable (_ request: AsyncRequest) async throws -> AsyncResponse

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
}
