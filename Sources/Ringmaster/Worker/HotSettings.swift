// The settings a running worker can take without dropping a connection (SIGHUP reload):
// limits, timeouts, routes and the Server header.
import RingmasterHTTP

/// Settings applied to a running worker on reload.
public struct HotSettings: Sendable, Equatable {
    public var limits: HTTPLimits
    public var timeouts: ConnectionTimeouts
    public var routes: [StaticRoute]
    public var serverName: String
    /// Certificates re-read on reload (nil: unchanged). New connections use them; open ones
    /// keep the context they started with.
    public var tls: TLSContext? = nil

    public init(limits: HTTPLimits, timeouts: ConnectionTimeouts, routes: [StaticRoute], serverName: String) {
        self.limits = limits
        self.timeouts = timeouts
        self.routes = routes
        self.serverName = serverName
    }

    public static func == (a: HotSettings, b: HotSettings) -> Bool {
        a.limits == b.limits && a.timeouts == b.timeouts && a.routes == b.routes && a.serverName == b.serverName && a.tls === b.tls
    }
}
