// Connection timeouts: after each event the connection's machine picks its timer (idle, header,
// body, write or linger) and the timing wheel gets its deadline; once a tick the sweep expires
// those whose deadline is now.
import RingmasterHTTP

extension Worker {
    /// The once-a-second multishot timeout that drives the wheel (Linux 6.4).
    mutating func armTick() {
        ring.prepareTimeout(milliseconds: 1000, spec: scratch.tick, multishot: true, userData: UserData(slot: 0, operation: .tick))
    }

    mutating func handleTick(_ completion: Completion) {
        wheel.advance()
        var slot = 0
        while let expired = wheel.nextExpired(from: slot, limit: table.highWater) {
            expire(slot: UInt32(expired))
            slot = expired + 1
        }
        if !completion.hasMore && lifecycle.exit == nil { armTick() }
        // Upstream response heads past their read timeout: the cancel's ECANCELED says 504.
        // Also with no proxy route left (a reload): exchanges still waiting get their answer.
        if proxy.upstreams.hasGroups || proxy.exchanges.inUse > 0 { expireUpstreamReads() }
        // The tick is also what bounds an access log line's wait for its write to a second.
        if accessLog.enabled { flushAccessLog() }
        if link.index == 0 && tls.enabled { tls.tickTicketKeys() }
    }

    /// A deadline passed: a partial request gets 408, anything else is closed.
    mutating func expire(slot: UInt32) {
        let connection = table[slot]
        wheel.clear(slot)
        guard connection.pointee.isOpen else { return }
        switch connection.pointee.machine.timer {
        case .header: link.statistics.add(.headerTimeouts)
        case .body: link.statistics.add(.bodyTimeouts)
        case .write: link.statistics.add(.writeTimeouts)
        case .linger: link.statistics.add(.lingerTimeouts)
        case .handshake: link.statistics.add(.tlsFailuresTimeout)
        case .idle, .none: link.statistics.add(.idleTimeouts)
        }
        guard perform(connection.pointee.machine.timerFired(facts(slot)), slot: slot) else { return }
        // The 408 itself runs under the write timeout (the machine chose it).
        wheel.set(slot, seconds: policy.timeouts.seconds(connection.pointee.machine.timer))
    }

    /// Applies reloaded settings: new limits and timeouts for the next event, new responses now.
    mutating func apply(_ settings: HotSettings) {
        scratch.reserveHeaderFields(settings.limits.maxHeaderCount)
        policy.limits = settings.limits
        policy.timeouts = settings.timeouts
        if tls.enabled, let context = settings.tls { tls.context = context }
        // The old table stays while requests that matched it wait for their bodies.
        let owed = owedAnswers(epoch: routing.retired.epoch)
        routing.replace(with: ResponseTable(routes: handling.router.routes + settings.routes, serverName: settings.serverName), owed: owed)
        files.reset(limits: policy.limits, responses: routing.responses)
        // Upstream pools survive a reload that leaves the proxy routes as they were.
        let routes = handling.router.routes + settings.routes
        if !proxy.upstreams.matches(routes: routes) { proxy.upstreams.configure(routes: routes) }
    }

    /// Connections owing an answer from the route table of `epoch` (cold: on reload).
    func owedAnswers(epoch: UInt8) -> Int {
        var owed = 0
        var slot: UInt32 = 0
        while Int(slot) < table.highWater {
            let record = table[slot].pointee
            if record.isOpen && record.tableEpoch == epoch && record.pendingFlags & PendingResponse.owed != 0 { owed += 1 }
            slot += 1
        }
        return owed
    }
}
