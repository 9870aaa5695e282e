// What every request is held to before it is routed: the parser's limits, the connection
// timeouts (both replaced by a reload), the plain port's redirect to https and the real-client
// rules of a trusted load balancer (both fixed at start).
import RingmasterHTTP

/// The configured rules a request meets before its route answers it.
struct RequestPolicy: ~Copyable {
    var limits: HTTPLimits
    var timeouts: ConnectionTimeouts
    /// The plain port's redirect to https (`tls.plain_port` with `tls.plain` "redirect").
    let httpsRedirect: HTTPSRedirect
    /// The client behind a trusted load balancer (`listen.real_ip_from`).
    let realIP: RealIP
}
