// Connection timeouts: after each event the connection's state picks its timer (idle, header,
// body or write) and the timing wheel gets its deadline; once a tick the sweep expires those
// whose deadline is now.
import CURing
import Glibc
import RingmasterHTTP

extension Worker {
    /// The once-a-second multishot timeout that drives the wheel (Linux 6.4).
    mutating func armTick() {
        let spec = (scratch + 32).assumingMemoryBound(to: __kernel_timespec.self)
        spec.pointee.tv_sec = 1
        spec.pointee.tv_nsec = 0
        let sqe = ring.nextSQE()
        io_uring_prep_timeout(sqe, spec, 0, UInt32(IORING_TIMEOUT_MULTISHOT))
        sqe.pointee.user_data = UserData(slot: 0, operation: .tick).rawValue
    }

    mutating func handleTick(flags: UInt32) {
        wheel.advance()
        var slot = 0
        while let expired = wheel.nextExpired(from: slot, limit: table.highWater) {
            expire(slot: UInt32(expired))
            slot = expired + 1
        }
        if flags & CURING_CQE_F_MORE == 0 && exit == nil { armTick() }
        // The tick is also what bounds an access log line's wait for its write to a second.
        if accessLog.enabled { flushAccessLog() }
    }

    /// Chooses the connection's timer from its state. A header deadline runs from the head's
    /// first byte and is not extended by later bytes (a trickled head is cut on time);
    /// the others restart on every event.
    @inline(__always)
    mutating func updateTimer(slot: UInt32) {
        let connection = table[slot]
        let record = connection.pointee
        guard record.flags & ConnectionFlags.open != 0 else { return }
        let kind: TimerKind
        if record.flags & ConnectionFlags.sending != 0 || record.outLength > record.outStart {
            kind = .write
        } else if record.handlerState & HandlerState.deferred != 0 {
            // The server owes a deferred response: the idle timeout bounds how long.
            kind = .idle
        } else if !record.body.isComplete {
            kind = .body
        } else if record.carryLength > 0 {
            if record.timer == .header { return }
            kind = .header
        } else {
            kind = .idle
        }
        connection.pointee.timer = kind
        wheel.set(slot, seconds: timeouts.seconds(kind))
    }

    /// A deadline passed: a partial request gets 408, anything else is closed.
    mutating func expire(slot: UInt32) {
        let connection = table[slot]
        wheel.clear(slot)
        guard connection.pointee.flags & ConnectionFlags.open != 0 else { return }
        switch connection.pointee.timer {
        case .header, .body:
            statistics.add(connection.pointee.timer == .header ? .headerTimeouts : .bodyTimeouts)
            if connection.pointee.flags & ConnectionFlags.sending == 0 {
                respondError(slot: slot, status: .requestTimeout)
                if connection.pointee.flags & ConnectionFlags.open != 0 {
                    // The 408 itself gets the write timeout.
                    connection.pointee.timer = .write
                    wheel.set(slot, seconds: timeouts.write)
                }
            } else {
                closeConnection(slot: slot)
            }
        case .write:
            statistics.add(.writeTimeouts)
            closeConnection(slot: slot)
        case .idle, .none:
            statistics.add(.idleTimeouts)
            closeConnection(slot: slot)
        }
    }

    /// Applies reloaded settings: new limits and timeouts for the next event, new responses now.
    mutating func apply(_ settings: HotSettings) {
        if settings.limits.maxHeaderCount > headerFields.count {
            headerFields.deallocate()
            headerFields = .allocate(capacity: settings.limits.maxHeaderCount)
            headerFields.initialize(repeating: HTTPHeaderField())
        }
        limits = settings.limits
        timeouts = settings.timeouts
        responses = ResponseTable(routes: handling.router.routes + settings.routes, serverName: settings.serverName)
        responses.refresh(date: date)
        // Cache keys hold route numbers, which a new table may give to other routes.
        fileCache.removeAll()
        let size = Worker.pathScratchSize(limits: limits, responses: responses)
        if size > pathScratchSize {
            pathScratch.deallocate()
            pathScratch = .allocate(byteCount: size, alignment: 16)
            pathScratchSize = size
        }
    }
}
