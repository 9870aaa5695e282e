// One entry of the `routes` key: the shape the serving issue fills in. Today every route is
// `kind: "static"` (a fixed body), answered to GET and HEAD by the response table.
import RingmasterHTTP

/// A configured route.
public struct RouteConfiguration: Sendable, Equatable {
    /// Exact request path, starting with "/".
    public var path: String
    /// Methods served; static routes serve GET and HEAD only.
    public var methods: [String]
    /// "static" (a fixed answer), "metrics" (the Prometheus exposition) or "redirect".
    public var kind: String
    /// "exact" or "prefix".
    public var match: String = "exact"
    /// Where a redirect points.
    public var location: String? = nil
    public var status: Int
    public var contentType: String
    public var body: String

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
            return StaticRoute(path: path, match: pathMatch, methods: methodSet, kind: .metrics)
        case "redirect":
            var route = StaticRoute.redirect(path, to: location ?? "/", status: HTTPStatus(rawValue: UInt16(status)))
            route.match = pathMatch
            route.methods = methodSet.contains(.get) ? methodSet.union(.head) : methodSet
            return route
        default:
            return StaticRoute(path: path, match: pathMatch, methods: methodSet, status: HTTPStatus(rawValue: UInt16(status)),
                               contentType: contentType, body: Array(body.utf8))
        }
    }

    /// The route as one line for `check-config` and reload messages.
    var summary: String {
        switch kind {
        case "metrics": return "\(methods.joined(separator: ",")) \(path) (\(match)) -> metrics"
        case "redirect": return "\(methods.joined(separator: ",")) \(path) (\(match)) -> \(status) \(location ?? "")"
        default: return "\(methods.joined(separator: ",")) \(path) (\(match)) -> \(status) \(contentType) \(body.utf8.count) bytes"
        }
    }
}
