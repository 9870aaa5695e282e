// What a request that matched a route is answered with, taken from the route table the request
// matched: self-contained, so the answer does not depend on the table a reload put in its place.
import RingmasterHTTP

/// The answer a route table gives for an owed response.
public enum RouteAnswer {
    /// Response bytes built by the table (static bodies, redirects, health while running):
    /// copied whole into the output. `status` and `bodyBytes` are for counters and the log.
    case prebuilt(UnsafeRawBufferPointer, status: UInt16, bodyBytes: Int)
    /// The health route while draining: 503 so a load balancer stops sending.
    case draining
    /// The metrics exposition, written now.
    case metrics
    /// A Swift handler (`Router` index).
    case handler(Int)
    /// A proxy route: forwarded once the request body has been read (docs/proxy.md).
    case proxy
    /// A directory route: answered when the head is parsed, never owed after a body (a
    /// body on a file GET is read and dropped).
    case file
    case notFound
    case methodNotAllowed

    /// The answer `table` gives for `route` (an index or `RouteAnswer.notFoundIndex`/`methodNotAllowed`).
    @inline(__always)
    public static func of(route: UInt8, in table: borrowing ResponseTable, close: Bool, headOnly: Bool, draining: Bool) -> RouteAnswer {
        if route == RouteAnswer.methodNotAllowedIndex { return .methodNotAllowed }
        guard Int(route) < table.routeCount else { return .notFound }
        let index = Int(route)
        switch table.kind(of: index) {
        case .metrics: return .metrics
        case .directory: return .file
        case .proxy: return .proxy
        case .handler(let handler): return .handler(handler)
        case .health where draining: return .draining
        case .body, .health:
            return .prebuilt(table.response(route: index, close: close, headOnly: headOnly), status: table.status(of: route),
                             bodyBytes: headOnly ? 0 : table.bodyLength(of: index))
        }
    }

    /// Route indices stay below this (the table holds at most 250 routes); the two values
    /// above mark the answers that are not routes.
    public static let maxRoutes = 250
    public static let notFoundIndex: UInt8 = 255
    public static let methodNotAllowedIndex: UInt8 = 254
}
