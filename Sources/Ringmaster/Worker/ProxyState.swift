// The proxy's state on one worker (docs/proxy.md): the upstream servers of proxy routes with
// their connection pools and health, and the exchanges in flight. Worker+Proxy*.swift moves
// the exchanges; this keeps what changes together in one place.

/// Upstream servers and the requests being forwarded to them.
struct ProxyState: ~Copyable {
    /// Proxy routes' upstream servers and their connection pools.
    var upstreams = Upstreams()
    /// Requests being forwarded: from the head to the end of the response.
    var exchanges: ProxyExchanges

    init(capacity: Int, slots: Int, cells: UpstreamCells, probes: UpstreamProbes, routes: [StaticRoute]) {
        exchanges = ProxyExchanges(capacity: capacity, slots: slots)
        upstreams.cells = cells
        upstreams.probes = probes
        upstreams.configure(routes: routes)
    }
}
