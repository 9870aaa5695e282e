// A route answered with a fixed body: the built-in `/`, `/plaintext` and `/healthz` of the
// core engine, and the shape the router of the serving issue extends.
import RingmasterHTTP

/// An exact-path route with a static body, answered to GET and HEAD.
public struct StaticRoute: Sendable, Equatable {
    public var path: String
    public var status: HTTPStatus
    public var contentType: String
    public var body: [UInt8]

    public init(path: String, status: HTTPStatus = .ok, contentType: String = "text/plain", body: [UInt8]) {
        self.path = path
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
