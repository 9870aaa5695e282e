// The upstream's response, from its head on: committed through the one answer path with the
// body bytes that came with it, and a body that continues sent by a body stream reading the
// upstream socket (recv under the read timeout, one buffer in flight: the client's pace is
// the upstream's). At the end the upstream connection goes back to its pool if the response
// ended exactly where its framing said (docs/proxy.md).
import Glibc
import RingmasterHTTP

extension Worker {
    /// Limits for reading an upstream's chunked body: its size is the upstream's business.
    static let upstreamBodyLimits = HTTPLimits(maxRequestLine: 8192, maxHeaderBytes: 8192, maxHeaderCount: 100, maxBodyBytes: .max)

    /// Commits the response whose head is complete in the exchange's response chunk.
    mutating func relayResponse(_ id: UInt16, head: ResponseHead, fields: UnsafeBufferPointer<HTTPHeaderField>) {
        let exchange = proxy.exchanges[id]
        let slot = exchange.pointee.slot
        let connection = table[slot]
        let response = UnsafeRawBufferPointer(start: slab.pointer(exchange.pointee.responseChunk), count: exchange.pointee.responseFilled)
        let prefix = UnsafeRawBufferPointer(rebasing: response[head.headLength...])
        // What of the body came with the head, and whether more follows.
        var forward = 0
        var remaining: UInt64 = 0
        var reusable = head.keepAlive
        var decoder: BodyDecoder?
        var logged: UInt64 = 0
        switch head.framing {
        case .none:
            reusable = reusable && prefix.isEmpty
        case .contentLength(let length):
            forward = Int(min(UInt64(prefix.count), length))
            remaining = length - UInt64(forward)
            reusable = reusable && UInt64(prefix.count) <= length
            logged = length
        case .chunked:
            var chunked = BodyDecoder(framing: .chunked)
            guard let end = Worker.chunkedEnd(&chunked, prefix) else {
                upstreamFailed(id, kind: .response, retry: false)
                return
            }
            forward = end.consumed
            if end.done { reusable = reusable && end.consumed == prefix.count } else { decoder = chunked; remaining = .max }
            logged = UInt64(forward)
        case .untilClose:
            forward = prefix.count
            remaining = .max
            reusable = false
        }
        let untilClose = head.framing == .untilClose
        let close = exchange.pointee.clientClose || lifecycle.draining || connection.pointee.machine.isClosing || untilClose
        let out = UnsafeMutableRawBufferPointer(start: slab.pointer(exchange.pointee.requestChunk), count: slab.chunkSize)
        guard let headLength = ProxyHead.writeResponse(head: head, bytes: response, fields: fields, serverName: routing.responses.serverName,
                                                       close: close, into: out) else {
            upstreamFailed(id, kind: .response, retry: false)
            return
        }
        // What does not fit behind the head (the rewritten head can be longer than the
        // upstream's) goes first in the body stream's buffer.
        let inline = min(forward, out.count - headLength)
        let leftover = forward - inline
        if inline > 0 { (out.baseAddress! + headLength).copyMemory(from: prefix.baseAddress!, byteCount: inline) }
        var stream: UInt32?
        if remaining > 0 || leftover > 0 {
            guard let allocated = streams.allocate() else {
                link.statistics.add(.streamsExhausted)
                failExchange(id, status: .serviceUnavailable)
                return
            }
            stream = allocated
            if leftover > 0 { streams.buffer(allocated).copyMemory(from: prefix.baseAddress! + inline, byteCount: leftover) }
        }
        let group = exchange.pointee.group, member = exchange.pointee.member, epoch = exchange.pointee.epoch
        let fd = exchange.pointee.fd
        exchange.pointee.fd = -1
        connection.pointee.handlerState &= ~HandlerState.proxied
        let generation = connection.pointee.generation
        noteUpstreamAnswer(id, answered: true)
        commit(slot: slot, .prebuilt(UnsafeRawBufferPointer(rebasing: out[0..<headLength + inline]), status: head.status,
                                     bodyBytes: Int(clamping: logged)), close: close)
        clearUpstreamLog()
        if let stream, connection.pointee.isOpen, connection.pointee.generation == generation {
            let entry = streams[stream]
            entry.pointee.fd = fd
            entry.pointee.remaining = remaining
            entry.pointee.filled = UInt32(leftover)
            entry.pointee.upstream = UpstreamStream(group: group, member: member, epoch: epoch, chunked: decoder, untilClose: untilClose,
                                                    keepAlive: head.keepAlive, reusable: reusable && remaining == 0,
                                                    readTimeoutSeconds: proxy.upstreams.readTimeoutSeconds(group: group, epoch: epoch))
            connection.pointee.stream = stream
        } else {
            if let stream { streams.release(stream) }
            releaseUpstream(group: group, member: member, epoch: epoch, fd: fd, reusable: reusable && stream == nil)
        }
        freeExchange(id)
        guard connection.pointee.isOpen, connection.pointee.generation == generation else { return }
        guard perform(connection.pointee.machine.answerProgressed(facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// Runs `decoder` over `bytes`: how many bytes belong to the body and whether it ended;
    /// nil when the chunked framing is broken.
    static func chunkedEnd(_ decoder: inout BodyDecoder, _ bytes: UnsafeRawBufferPointer) -> (consumed: Int, done: Bool)? {
        var offset = 0
        while offset < bytes.count {
            let step = decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[offset...]), limits: Worker.upstreamBodyLimits)
            offset += step.consumed
            switch step.state {
            case .done: return (offset, true)
            case .error: return nil
            case .more: if step.consumed == 0 { return (offset, false) }
            }
        }
        return (offset, decoder.isComplete)
    }

    /// The next recv of an upstream body into the stream's buffer.
    mutating func readUpstreamBody(slot: UInt32, stream id: UInt32) {
        let stream = streams[id]
        guard let upstream = stream.pointee.upstream else { return }
        let count = min(stream.pointee.remaining, UInt64(streams.bufferSize))
        stream.pointee.upstream?.deadline = Worker.monotonicSeconds() + upstream.readTimeoutSeconds
        ring.prepareRecv(fd: stream.pointee.fd, into: streams.buffer(id), count: Int(count),
                         userData: UserData(slot: slot, operation: .fileRead, buffer: UInt16(id), generation: table[slot].pointee.generation))
    }

    /// An upstream body recv completed: what of it belongs to the body is sent next; the end
    /// of the body (its length, its last chunk, or the upstream closing a body that runs to
    /// close) finishes the stream. Anything else cuts the client connection: its head has
    /// gone out, so that is the only honest signal left.
    mutating func upstreamBodyRead(slot: UInt32, stream id: UInt32, result: Int32) {
        let stream = streams[id]
        guard var upstream = stream.pointee.upstream else { return }
        if result == 0 && upstream.untilClose {
            stream.pointee.remaining = 0
            stream.pointee.filled = 0
            stream.pointee.sent = 0
            freeStream(id)
            table[slot].pointee.stream = BodyStreams.none
            guard perform(table[slot].pointee.machine.sendCompleted(ok: true, facts(slot)), slot: slot) else { return }
            updateTimer(slot: slot)
            return
        }
        guard result > 0 else {
            let timedOut = result == -ECANCELED && upstream.timedOut
            link.statistics.add(timedOut ? .proxyTimeouts : .proxyErrors)
            proxy.upstreams.count(group: upstream.group, member: upstream.member, timedOut ? .timeout : .response)
            perform(table[slot].pointee.machine.sendCompleted(ok: false, facts(slot)), slot: slot)
            return
        }
        var count = Int(result)
        // A cancel the tick raced with a recv that won: not a timeout after all.
        upstream.timedOut = false
        if var chunked = upstream.chunked {
            guard let end = Worker.chunkedEnd(&chunked, UnsafeRawBufferPointer(start: streams.buffer(id), count: count)) else {
                link.statistics.add(.proxyErrors)
                perform(table[slot].pointee.machine.sendCompleted(ok: false, facts(slot)), slot: slot)
                return
            }
            upstream.chunked = chunked
            if end.done {
                upstream.reusable = upstream.keepAlive && end.consumed == count
                count = end.consumed
                stream.pointee.remaining = 0
            }
        } else if !upstream.untilClose {
            stream.pointee.remaining -= min(UInt64(count), stream.pointee.remaining)
            if stream.pointee.remaining == 0 { upstream.reusable = upstream.keepAlive }
        }
        stream.pointee.upstream = upstream
        stream.pointee.filled = UInt32(count)
        stream.pointee.sent = 0
        link.statistics.add(.bytesIn, UInt64(count))
        guard perform(table[slot].pointee.machine.sendCompleted(ok: true, facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// Returns a body stream to the pool; a proxied one's upstream connection goes back to
    /// its pool when the body ended exactly, else it is closed.
    mutating func freeStream(_ id: UInt32) {
        let stream = streams[id]
        if let upstream = stream.pointee.upstream, stream.pointee.fd >= 0 {
            releaseUpstream(group: upstream.group, member: upstream.member, epoch: upstream.epoch, fd: stream.pointee.fd,
                               reusable: upstream.reusable && stream.pointee.isFinished)
            stream.pointee.fd = -1
        }
        streams.release(id)
    }
}
