// What a `kind: "proxy"` route forwards to and how (docs/proxy.md): its upstream servers, the
// balancing between them, timeouts, the passive health rule and the per-worker cap on
// connections to each upstream.
import RingmasterHTTP

/// One upstream server: an IP address and port, or a Unix socket path.
public enum UpstreamAddress: Sendable, Equatable, CustomStringConvertible {
    case ip(ClientAddress)
    case unix(String)

    /// Parses "127.0.0.1:9000", "[::1]:9000" or "unix:/run/app.sock".
    public static func parse(_ text: String) -> UpstreamAddress? {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            // sockaddr_un.sun_path holds 108 bytes with the NUL.
            guard path.first == "/", path.utf8.count < 108, !path.utf8.contains(0) else { return nil }
            return .unix(path)
        }
        var host = Substring(text)
        var portText = Substring("")
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = UInt16(portText), port > 0, portText.first != "0",
              let address = ClientAddress.parse(String(host), port: port), address.family != .unknown else { return nil }
        // Brackets hold an IPv6 literal only (an unbracketed one was refused above).
        if text.hasPrefix("[") && !host.contains(":") { return nil }
        return .ip(address)
    }

    public var description: String {
        switch self {
        case .ip(let address): return address.family == .ipv6 ? "[\(address.text)]:\(address.port)" : "\(address.text):\(address.port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}

/// How a proxy route picks an upstream for each request.
public enum UpstreamBalance: String, Sendable, Equatable, CaseIterable {
    /// In turn, skipping upstreams marked down.
    case roundRobin = "round_robin"
    /// The upstream with the fewest requests in flight on this worker (ties in turn).
    case leastConnections = "least_conn"
    /// The same client address to the same upstream: consistent (rendezvous) hashing, so an
    /// upstream going down or being added moves only the clients it gains or loses.
    case clientHash = "client_hash"
    /// The same value of the `hash_header` field to the same upstream (consistent, as
    /// `client_hash`): a user or session id set by the application or a gateway. A request
    /// without the field is hashed by its client address.
    case headerHash = "header_hash"
}

/// A proxy route's settings.
public struct ProxyOptions: Sendable, Equatable {
    public var upstreams: [UpstreamAddress]
    public var balance: UpstreamBalance = .roundRobin
    /// The field `header_hash` hashes (`hash_header`, stored lower-cased).
    public var hashHeader: String? = nil
    /// Active health check (`health_check_path`): the supervisor GETs this path on every
    /// upstream each `health_check_interval_s`; one that does not answer 2xx or 3xx within
    /// `health_check_timeout_ms` gets no requests until it does. Nil: passive checks only.
    public var healthCheckPath: String? = nil
    public var healthCheckIntervalSeconds = 5
    public var healthCheckTimeoutMilliseconds = 1000
    /// Connect deadline; past it the upstream counts as failed (504 when none is left).
    public var connectTimeoutMilliseconds = 3000
    /// Deadline for each read from the upstream (the response head, then every body piece).
    public var readTimeoutSeconds = 60
    /// After a connect failure or a reset before the response, the upstream is skipped for
    /// this long (passive health check); 0 never marks it down.
    public var failTimeoutSeconds = 10
    /// Connections to each upstream one worker keeps at most (in flight and idle together).
    public var maxConnections = 256
    /// Clients whose X-Forwarded-For is believed (load balancers in front of this server):
    /// from one of these the incoming list is kept and the client appended; from anyone else
    /// it is replaced by the client's address. Empty: none is trusted.
    public var trustedProxies: [AddressRange] = []

    public init(upstreams: [UpstreamAddress]) { self.upstreams = upstreams }
}
