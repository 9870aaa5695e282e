// When forwarding fails or ends early (docs/proxy.md, "Failures"): an upstream failure counted
// and retried or answered (502, 503, 504), a connection released to its pool or closed (and
// the room it makes handed to the oldest waiter), a client that left abandoning its exchange,
// and the tick that times out waits, sends and reads.
import Glibc
import RingmasterHTTP

extension Worker {
    /// A failure talking to the upstream: counted, the member marked down for a connect
    /// failure or a reset, and the request sent elsewhere when `retry` allows and another
    /// member is left; else 502 (504 for a timeout).
    mutating func upstreamFailed(_ id: UInt16, kind: UpstreamFailure, retry: Bool) {
        let exchange = proxy.exchanges[id]
        let group = exchange.pointee.group, member = exchange.pointee.member
        let wasReused = exchange.pointee.reused
        proxy.upstreams.count(group: group, member: member, kind)
        link.statistics.add(kind == .timeout ? .proxyTimeouts : .proxyErrors)
        // A reused connection failing says little about the upstream itself.
        if kind != .response || !wasReused { proxy.upstreams.failed(group: group, member: member, now: Worker.monotonicSeconds()) }
        dropUpstream(id)
        // A streamed body whose window was emptied cannot be sent again.
        if retry && !exchange.pointee.windowReused {
            // A stale pooled connection is retried on the same member with a new one.
            if wasReused && kind == .response { exchange.pointee.tried &= ~(1 << UInt64(member)) }
            link.statistics.add(.proxyRetries)
            connectUpstream(id)
            return
        }
        failExchange(id, status: kind == .timeout ? .gatewayTimeout : .badGateway)
    }

    /// A connection to member `member` of `group` is done with (`Upstreams.finished`: back
    /// to the idle pool when `reusable`, else closed), which makes room for the oldest
    /// exchange waiting on the group, if any (UpstreamWaiters).
    mutating func releaseUpstream(group: Int, member: Int, epoch: UInt32, fd: Int32, reusable: Bool) {
        proxy.upstreams.finished(group: group, member: member, epoch: epoch, fd: fd, reusable: reusable)
        // No connection was opened (socket(2) failed): no room was made.
        guard fd >= 0 else { return }
        // Each waiter taken either goes (served, or answered) or, when the room is of no use
        // to it (the member is one it tried already, or down), queues again at the back: at
        // most one pass over the waiters there are now.
        var budget = proxy.upstreams.waiterCount(group: group, epoch: epoch)
        while budget > 0, let id = proxy.upstreams.nextWaiter(group: group, epoch: epoch) {
            budget -= 1
            let exchange = proxy.exchanges[id]
            // Stale entries (freed, timed out, or reused for another wait) are skipped.
            guard exchange.pointee.inUse, exchange.pointee.phase == .waiting, exchange.pointee.group == group,
                  exchange.pointee.epoch == epoch else { continue }
            exchange.pointee.phase = .connecting
            connectUpstream(id)
            if !exchange.pointee.inUse || exchange.pointee.phase != .waiting { return }
        }
    }

    /// Closes the exchange's upstream connection (it is in an unknown state).
    mutating func dropUpstream(_ id: UInt16) {
        let exchange = proxy.exchanges[id]
        guard exchange.pointee.fd >= 0 else { return }
        releaseUpstream(group: exchange.pointee.group, member: exchange.pointee.member, epoch: exchange.pointee.epoch,
                           fd: exchange.pointee.fd, reusable: false)
        exchange.pointee.fd = -1
    }

    /// Answers the exchange's client with `status` and ends the exchange.
    mutating func failExchange(_ id: UInt16, status: HTTPStatus) {
        let exchange = proxy.exchanges[id]
        let slot = exchange.pointee.slot, headOnly = exchange.pointee.headOnly
        // A streamed body cut off midway leaves the rest unread: the connection closes after.
        let close = exchange.pointee.clientClose || (exchange.pointee.streamsBody && !exchange.pointee.bodyEnded)
        noteUpstreamAnswer(id, answered: false)
        dropUpstream(id)
        freeExchange(id)
        table[slot].pointee.handlerState &= ~(HandlerState.proxied | HandlerState.uploading)
        commitProxyFailure(slot: slot, status: status, close: close, headOnly: headOnly)
        clearUpstreamLog()
        guard table[slot].pointee.isOpen else { return }
        guard perform(table[slot].pointee.machine.answerProgressed(facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// 502, 503 or 504 with a short text body; the client connection stays usable.
    mutating func commitProxyFailure(slot: UInt32, status: HTTPStatus, close: Bool, headOnly: Bool) {
        let body: UnsafeRawBufferPointer
        switch status {
        case .badGateway: body = Worker.bytes("Bad Gateway\n")
        case .serviceUnavailable: body = Worker.bytes("Service Unavailable\n")
        case .gatewayTimeout: body = Worker.bytes("Gateway Timeout\n")
        case .requestHeaderFieldsTooLarge: body = Worker.bytes("Request Header Fields Too Large\n")
        default: body = Worker.bytes("Internal Server Error\n")
        }
        commit(slot: slot, Worker.text(status, body, headOnly: headOnly), close: close || lifecycle.draining)
    }

    /// Returns the exchange's chunks and collected request, and the exchange itself.
    mutating func freeExchange(_ id: UInt16) {
        let exchange = proxy.exchanges[id]
        if exchange.pointee.requestChunk != ChunkSlab.none { slab.release(exchange.pointee.requestChunk) }
        if exchange.pointee.responseChunk != ChunkSlab.none { slab.release(exchange.pointee.responseChunk) }
        if exchange.pointee.bodyStore != RequestStore.none { handling.store.release(exchange.pointee.bodyStore) }
        exchange.pointee.requestChunk = ChunkSlab.none
        exchange.pointee.responseChunk = ChunkSlab.none
        exchange.pointee.bodyStore = RequestStore.none
        proxy.exchanges.release(id)
    }

    /// The client connection is closing with an exchange in progress: an operation in flight
    /// is cancelled (IORING_ASYNC_CANCEL_FD, by the upstream socket), and its completion frees
    /// the exchange.
    mutating func abandonExchange(slot: UInt32) {
        let id = proxy.exchanges.ofSlot[Int(slot)]
        let exchange = proxy.exchanges[id]
        guard exchange.pointee.inUse, exchange.pointee.slot == slot else { return }
        if exchange.pointee.busy {
            exchange.pointee.abandoned = true
            if exchange.pointee.fd >= 0 { ring.prepareCancelAll(fd: exchange.pointee.fd, userData: UserData(slot: 0, operation: .cancel)) }
        } else {
            dropUpstream(id)
            freeExchange(id)
        }
    }

    /// Cancels the response-head recv (or a request send) of every exchange past its deadline, and answers
    /// 503 to every one that waited for a connection past its deadline (the tick, once a
    /// second: a 1 s timeout fires after 1 to 2 s).
    mutating func expireUpstreamReads() {
        let now = Worker.monotonicSeconds()
        var id = 0
        while id < proxy.exchanges.fresh {
            let exchange = proxy.exchanges.entries + id
            if exchange.pointee.inUse && exchange.pointee.phase == .waiting && exchange.pointee.epoch != proxy.upstreams.epoch {
                // A reload replaced the upstream set it waited on (its queue went with it).
                failExchange(UInt16(id), status: .badGateway)
            } else if exchange.pointee.inUse && exchange.pointee.phase == .waiting && exchange.pointee.deadline <= now {
                // Waited the connect timeout for a connection under max_connections.
                failExchange(UInt16(id), status: .serviceUnavailable)
            } else if exchange.pointee.inUse && exchange.pointee.busy && (exchange.pointee.phase == .receiving || exchange.pointee.phase == .sending)
                && !exchange.pointee.timedOut
                && exchange.pointee.deadline <= now && exchange.pointee.fd >= 0 {
                exchange.pointee.timedOut = true
                ring.prepareCancelAll(fd: exchange.pointee.fd, userData: UserData(slot: 0, operation: .cancel))
            }
            id += 1
        }
        // Response bodies being relayed: a recv from the upstream past read_timeout_s.
        var stream = 0
        while stream < streams.fresh {
            let entry = streams.entries + stream
            if entry.pointee.inUse && entry.pointee.busy, let upstream = entry.pointee.upstream, !upstream.timedOut,
               upstream.deadline <= now, entry.pointee.fd >= 0, entry.pointee.filled == entry.pointee.sent {
                entry.pointee.upstream?.timedOut = true
                ring.prepareCancelAll(fd: entry.pointee.fd, userData: UserData(slot: 0, operation: .cancel))
            }
            stream += 1
        }
    }

    /// CLOCK_MONOTONIC seconds (vDSO), for upstream health deadlines.
    static func monotonicSeconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return ts.tv_sec
    }
}
