// A route's middleware and handler composed into one `Handler`, built when the route is
// added. Errors are answered at the layer that threw them, so the middleware outside it still
// sees a response after `next` returns (a CORS header lands on a 404 thrown by the handler).

/// Middleware around a throwing handler, run as a plain `Handler`.
struct MiddlewareChain: Sendable {
    let middleware: [any Middleware]
    let handler: ThrowingHandler
    /// "GET /path", for log lines about thrown errors.
    let route: String

    /// The chain as the handler the worker calls.
    var asHandler: Handler {
        let chain = self
        return { request, response in chain.run(0, request, &response) }
    }

    /// Runs layer `layer` (`middleware.count` is the handler). An error thrown by the layer
    /// replaces what it wrote; header lines written by the layers outside it stay.
    func run(_ layer: Int, _ request: borrowing Request, _ response: inout Response) {
        let mark = response.headerLength
        do {
            if layer == middleware.count {
                try handler(request, &response)
            } else {
                try middleware[layer].handle(request, &response) { request, response in run(layer + 1, request, &response) }
            }
        } catch {
            response.answer(error, headerMark: mark, route: route)
        }
    }
}
