// Middleware: code that runs around a handler, for what many routes share (logging, CORS,
// authentication, timing). A middleware sees the request before the handler and the
// response after it, and may answer on its own without calling on (an auth check's 401).
// Chains are composed once, when a route is added (MiddlewareChain), so a route without
// middleware calls its handler directly and pays nothing for the feature.

/// A handler that may throw: an `HTTPError` answers with its status and message, any other
/// error with a 500 and a line in the worker's log (docs/handlers.md, "Errors").
public typealias ThrowingHandler = @Sendable (_ request: borrowing Request, _ response: inout Response) throws -> Void

/// The rest of the chain (the next middleware, at the end the handler). It does not throw:
/// an error below has already been turned into the response when it returns.
public typealias MiddlewareNext = (_ request: borrowing Request, _ response: inout Response) -> Void

/// Runs around the handlers of the routes it is applied to (`router.use`, `group.use`).
///
/// ```swift
/// struct Timing: Middleware {
///     func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws {
///         let start = ContinuousClock.now
///         next(request, &response)                       // the handler (and inner middleware)
///         response.addHeader("Server-Timing", "app;dur=\(ContinuousClock.now - start)")
///     }
/// }
/// ```
///
/// Not calling `next` answers without the handler (write the response, or throw an
/// `HTTPError`). Like handlers, middleware runs on the worker thread and must not block.
/// A response deferred with `finishLater()` is finished outside the chain: what middleware
/// adds after `next` returns goes to the discarded immediate response.
public protocol Middleware: Sendable {
    func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws
}

/// A middleware written as a closure: `router.use { request, response, next in ... }`.
public struct MiddlewareFunction: Middleware {
    let body: @Sendable (_ request: borrowing Request, _ response: inout Response, _ next: MiddlewareNext) throws -> Void

    public init(_ body: @escaping @Sendable (_ request: borrowing Request, _ response: inout Response, _ next: MiddlewareNext) throws -> Void) {
        self.body = body
    }

    public func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws {
        try body(request, &response, next)
    }
}
