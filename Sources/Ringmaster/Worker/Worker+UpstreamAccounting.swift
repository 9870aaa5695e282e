// What a proxied answer records about its upstream, at the moment it is committed: the
// upstream's address and its time to the response head for the access log's JSON line
// (`upstream_addr`, `upstream_time_us`), set just before the commit that writes the line and
// cleared after it, and for a head that came back, the time in the upstream's histogram
// (UpstreamCells). Allocation-free: the name is the upstream's own bytes (Upstream.name).
extension Worker {
    /// Names exchange `id`'s upstream (the last one tried; none when nothing was tried) for
    /// the access log line of the commit that follows, and returns the nanoseconds since the
    /// exchange began. `answered`: the upstream's response head came back (its time is
    /// counted). Call `clearUpstreamLog()` after the commit.
    @discardableResult
    mutating func noteUpstreamAnswer(_ id: UInt16, answered: Bool) -> UInt64 {
        let exchange = proxy.exchanges[id]
        guard exchange.pointee.tried != 0 else { return 0 }
        let now = AccessLog.monotonicNanoseconds()
        let elapsed = now >= exchange.pointee.started ? now - exchange.pointee.started : 0
        if answered {
            proxy.upstreams.recordTime(group: exchange.pointee.group, member: exchange.pointee.member, epoch: exchange.pointee.epoch,
                                 nanoseconds: elapsed)
        }
        if accessLog.enabled {
            accessLog.upstream = proxy.upstreams.name(group: exchange.pointee.group, member: exchange.pointee.member, epoch: exchange.pointee.epoch)
            accessLog.upstreamMicroseconds = elapsed / 1000
        }
        return elapsed
    }

    /// The commit that logged a proxied answer is done: later lines name no upstream.
    @inline(__always)
    mutating func clearUpstreamLog() { accessLog.upstream = nil }
}
