// The worker's side of the access log (docs/access-log.md): a request's method, target and
// protocol are captured when its head is parsed, the line is finished when the response is
// appended (status and body size known), and the buffer is written through the ring with
// IORING_OP_WRITE when full, on the once-a-second tick and at exit. The event loop never
// waits for the file: with both buffers busy a line is dropped and counted.
//
// Hooks, each behind one `if accessLog.enabled` at its call site (the only cost when off):
// `logRequestHead` in handleRequest, `logLine` in the one commit path (Worker+Answer.swift),
// `flushAccessLog` in handleTick, `reopenAccessLog` in handleWake. A new way of answering
// goes through `commit`, which logs it; `takeRequest` gives the captured request until the
// slot's next head.
import Glibc
import RingmasterHTTP

extension Worker {
    /// Captures the request part of the line while the head's receive buffer is here.
    mutating func logRequestHead(slot: UInt32, head: RequestHead, in buffer: UnsafeRawBufferPointer) {
        let owner = accessLog.scratchOwner
        // The scratch holds another connection's request whose body is still being read:
        // move it to that connection's record before reusing the scratch.
        let keep = owner != AccessLog.noSlot && owner != slot
            && (table[owner].pointee.pendingFlags & PendingResponse.owed != 0
                || table[owner].pointee.handlerState & (HandlerState.deferred | HandlerState.collecting | HandlerState.proxied) != 0)
        var referer: UnsafeRawBufferPointer?
        var userAgent: UnsafeRawBufferPointer?
        if accessLog.logsFields {
            // Combined and JSON: the first Referer and User-Agent of the head, as nginx's
            // $http_referer and $http_user_agent.
            for index in 0..<head.headerCount {
                let field = scratch.headerFields[index]
                let name = field.name(in: buffer)
                if referer == nil && ASCII.equalsCaseInsensitive(name, "referer") { referer = field.value(in: buffer) }
                if userAgent == nil && ASCII.equalsCaseInsensitive(name, "user-agent") { userAgent = field.value(in: buffer) }
            }
        }
        accessLog.capture(slot: slot, method: head.methodName(in: buffer), target: head.target(in: buffer),
                          version: head.version, referer: referer, userAgent: userAgent, keepOwner: keep)
    }

    /// Appends a line; when the filling buffer is full, starts its write and fills the other
    /// one, or drops the line (counted) when a write is still in flight: the loop never waits.
    mutating func logLine(slot: UInt32, request: UnsafeRawPointer?, status: UInt16, bodyBytes: Int) {
        let client = acceptor[slot]
        let now = accessLog.logsDuration ? AccessLog.monotonicNanoseconds() : 0
        if accessLog.append(client: client, request: request, status: status, bodyBytes: bodyBytes, unixSeconds: routing.date.unixSeconds,
                            nowNanoseconds: now) { return }
        if startLogWrite(), accessLog.append(client: client, request: request, status: status, bodyBytes: bodyBytes,
                                             unixSeconds: routing.date.unixSeconds, nowNanoseconds: now) { return }
        link.statistics.add(.accessLogDropped)
        // Write what is buffered the moment the kernel is done with the other buffer.
        accessLog.flushWanted = true
    }

    /// The once-a-second flush: what was logged in the last second goes to the kernel now,
    /// or right after the write in flight.
    mutating func flushAccessLog() {
        guard accessLog.buffers.pending > 0 else { return }
        if !startLogWrite() { accessLog.flushWanted = true }
    }

    /// Hands the filling buffer to the kernel if no write is in flight; returns whether it did.
    @discardableResult
    mutating func startLogWrite() -> Bool {
        guard accessLog.buffers.beginWrite() else { return false }
        accessLog.writeFD = accessLog.fd
        submitLogWrite()
        return true
    }

    /// IORING_OP_WRITE of the in-flight buffer's unwritten bytes. The offset is -1, "the
    /// current file position" (io_uring_prep_write(3), IORING_FEAT_RW_CUR_POS, Linux 5.6); the
    /// file is O_APPEND, so the kernel writes at its end whatever the offset. A regular file
    /// has no non-blocking write, so the kernel writes from an io-wq worker thread, never ours.
    mutating func submitLogWrite() {
        ring.prepareWrite(fd: accessLog.writeFD, bytes: accessLog.buffers.unwritten, offset: UInt64.max, userData: UserData(slot: 0, operation: .logWrite))
    }

    /// A write finished: continue a short one, close a file retired by a reopen once its last
    /// write is done, and write what waited for this one.
    mutating func handleLogWrite(result: Int32) {
        if result <= 0 { noteLogWriteFailure(result) } else { accessLog.failureLogged = false }
        guard accessLog.buffers.complete(result: Int(result)) else {
            submitLogWrite()
            return
        }
        if accessLog.writeFD != accessLog.fd { close(accessLog.writeFD) }
        accessLog.writeFD = -1
        if accessLog.flushWanted || accessLog.buffers.room < AccessLogLine.maxLength {
            accessLog.flushWanted = false
            startLogWrite()
        }
    }

    /// Counts a failed write (its buffer's remaining lines are lost) and logs the first of a
    /// run of failures. Rare path: the logger may allocate.
    mutating func noteLogWriteFailure(_ result: Int32) {
        link.statistics.add(.accessLogWriteErrors)
        guard !accessLog.failureLogged else { return }
        accessLog.failureLogged = true
        let reason = result < 0 ? Errno.describe(-result) : "nothing written"
        link.logger.error("worker \(link.index): access log write failed: \(reason); its buffered lines are lost, later lines are still written")
    }

    /// Switches to the file the supervisor reopened (SIGHUP, docs/access-log.md). Lines
    /// buffered before the signal still go to the old file when no write is in flight (as
    /// nginx flushes before reopening); a write in flight finishes on the old file, which is
    /// closed only then.
    mutating func reopenAccessLog(fd newFD: Int32) {
        guard accessLog.enabled else {
            close(newFD)
            return
        }
        let old = accessLog.fd
        accessLog.fd = newFD
        if accessLog.buffers.isWriting {
            // The write in flight closes its file when it finishes, unless that is the new one.
            if accessLog.writeFD != old { close(old) }
        } else if accessLog.buffers.beginWrite() {
            accessLog.writeFD = old
            submitLogWrite()
        } else {
            close(old)
        }
    }

    /// The last flush, after the loop has ended (drained, forced or timed out): waits for a
    /// write in flight, then writes the rest with write(2). Synchronous on purpose: nothing is
    /// served any more, so blocking costs no one, and it needs no ring loop for its
    /// completions; the lines are on the file before the worker's thread ends.
    mutating func finishAccessLog() {
        while accessLog.buffers.isWriting {
            ring.submitAndWait()
            let (head, tail) = ring.readyCompletions()
            var index = head
            while index != tail {
                let cqe = ring.cqe(at: index)
                // Other completions no longer matter: every connection is being closed.
                if UserData(rawValue: cqe.pointee.user_data).operation == .logWrite { handleLogWrite(result: cqe.pointee.res) }
                // Safe: free-running CQ indices.
                index &+= 1
            }
            ring.consumeCompletions(upTo: tail)
        }
        let bytes = accessLog.buffers.fillingBytes
        var done = 0
        while done < bytes.count {
            let n = write(accessLog.fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                noteLogWriteFailure(n < 0 ? -errno : 0)
                break
            }
            done += n
        }
        accessLog.buffers.clearFilling()
        close(accessLog.fd)
        accessLog.fd = -1
    }
}
