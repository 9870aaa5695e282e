// One entry of the `routes` key: the shape the serving issue fills in. Today every route is
// `kind: "static"` (a fixed body), answered to GET and HEAD by the response table.
import RingmasterHTTP

/// A configured route.
public struct RouteConfiguration: Sendable, Equatable {
    /// Exact request path, starting with "/".
    public var path: String
    /// Methods served; static routes serve GET and HEAD only.
    public var methods: [String]
    /// Only "static" for now.
    public var kind: String
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
        StaticRoute(path: path, status: HTTPStatus(rawValue: UInt16(status)), contentType: contentType, body: Array(body.utf8))
    }

    /// The route as one line for `check-config` and reload messages.
    var summary: String {
        "\(methods.joined(separator: ",")) \(path) -> \(status) \(contentType) \(body.utf8.count) bytes"
    }
}
