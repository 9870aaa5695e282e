// Forwarding a request to an upstream (docs/proxy.md): choose an upstream, reuse an idle
// connection or connect a new one (IORING_OP_CONNECT under a linked timeout), send the
// rewritten request, read the response head under the read timeout, and commit it through the
// one answer path; a body that continues is a body stream on the upstream socket
// (Worker+ProxyStream.swift). Failures before the head answer 502, 503 or 504.
import Glibc
import RingmasterHTTP

extension Worker {
    /// A request matched a proxy route: forwarded now, or once its body has been read.
    mutating func proxyRequest(slot: UInt32, head: RequestHead, in buffer: UnsafeRawBufferPointer, body: BodyDecoder) {
        let connection = table[slot]
        let fields = UnsafeBufferPointer(rebasing: scratch.headerFields[0..<head.headerCount])
        if body.isComplete {
            startExchange(slot: slot, head: head, bytes: buffer, fields: fields, body: UnsafeRawBufferPointer(start: nil, count: 0),
                          store: RequestStore.none)
            return
        }
        connection.pointee.body = body
        if streamsUpload(head) {
            // Forwarded as it arrives (Worker+ProxyUpload.swift): the exchange starts now.
            startExchange(slot: slot, head: head, bytes: buffer, fields: fields, body: UnsafeRawBufferPointer(start: nil, count: 0),
                          store: RequestStore.none, upload: head.framing)
        } else {
            // A small body is collected like a handler's, then forwarded with a Content-Length
            // in the head's send (and can be sent again on a retry); answerPending starts the
            // exchange when it is complete.
            beginCollecting(slot: slot, head: head, in: buffer)
        }
        if head.expectContinue && head.version == .http11 && connection.pointee.isOpen && connection.pointee.machine.acceptsRequests {
            appendOutput(slot: slot, Worker.continueResponse)
        }
    }

    /// The collected body is complete (answerPending, `.proxy`).
    mutating func proxyCollected(slot: UInt32) {
        let connection = table[slot]
        guard connection.pointee.handlerState & HandlerState.collecting != 0 else {
            commitProxyFailure(slot: slot, status: .internalServerError, close: true, headOnly: false)
            return
        }
        let id = handling.slots[Int(slot)].request
        connection.pointee.handlerState &= ~HandlerState.collecting
        let parts = handling.store.request(id)
        startExchange(slot: slot, head: parts.head, bytes: parts.bytes, fields: parts.fields, body: parts.body, store: id)
    }

    /// Writes the upstream request and starts the exchange. `store` is the collected request
    /// (released here, or once its body has been sent when it did not fit the chunk); `upload`
    /// is the framing of a body still to come that is streamed as it arrives.
    mutating func startExchange(slot: UInt32, head: RequestHead, bytes: UnsafeRawBufferPointer, fields: UnsafeBufferPointer<HTTPHeaderField>,
                                body: UnsafeRawBufferPointer, store: UInt32, upload: BodyFraming? = nil) {
        let connection = table[slot]
        let pending = connection.pointee.pendingFlags
        let close = pending & PendingResponse.close != 0
        // A failure before a streamed body was read leaves the rest of it unread: close.
        let failureCloses = close || upload != nil
        let headOnly = head.method == .head
        connection.pointee.pendingFlags = 0
        routing.retired.forget(epoch: connection.pointee.tableEpoch, owed: pending & PendingResponse.owed != 0)
        // A reload since the head matched: the route index may name another route now.
        guard connection.pointee.tableEpoch == routing.retired.epoch, let group = proxy.upstreams.group(route: Int(connection.pointee.pendingRoute)) else {
            if store != RequestStore.none { handling.store.release(store) }
            commitProxyFailure(slot: slot, status: .badGateway, close: failureCloses, headOnly: headOnly)
            return
        }
        guard let id = proxy.exchanges.allocate(), let chunk = slab.allocate() else {
            if store != RequestStore.none { handling.store.release(store) }
            link.statistics.add(.streamsExhausted)
            commitProxyFailure(slot: slot, status: .serviceUnavailable, close: failureCloses, headOnly: headOnly)
            return
        }
        let exchange = proxy.exchanges[id]
        exchange.pointee.slot = slot
        exchange.pointee.generation = connection.pointee.generation
        exchange.pointee.group = group
        exchange.pointee.epoch = proxy.upstreams.epoch
        exchange.pointee.headOnly = headOnly
        exchange.pointee.clientClose = close
        exchange.pointee.idempotent = head.method == .get || head.method == .head || head.method == .put || head.method == .delete
            || head.method == .options
        exchange.pointee.requestChunk = chunk
        // Kept for retries: the head's fields are gone by then.
        exchange.pointee.hashKey = proxy.upstreams.hashKey(group: group, client: acceptor[slot], fields: fields, in: bytes)
        exchange.pointee.started = AccessLog.monotonicNanoseconds()
        let out = UnsafeMutableRawBufferPointer(start: slab.pointer(chunk), count: slab.chunkSize)
        var bodyLength: UInt64? = body.count > 0 || head.framing != .none ? UInt64(body.count) : nil
        if case .contentLength(let announced)? = upload { bodyLength = announced }
        if upload == .chunked { bodyLength = nil }
        let client = acceptor[slot]
        guard let length = ProxyHead.writeRequest(head: head, bytes: bytes, fields: fields, client: client,
                                                  serverName: routing.responses.serverName, bodyLength: bodyLength, chunked: upload == .chunked,
                                                  keepForwardedFor: proxy.upstreams.trusts(group: group, client: client),
                                                  https: tls.isOn(slot), into: out) else {
            if store != RequestStore.none { handling.store.release(store) }
            freeExchange(id)
            commitProxyFailure(slot: slot, status: .requestHeaderFieldsTooLarge, close: failureCloses, headOnly: headOnly)
            return
        }
        exchange.pointee.requestLength = length
        if store != RequestStore.none {
            if body.count <= slab.chunkSize - length {
                if body.count > 0 { (out.baseAddress! + length).copyMemory(from: body.baseAddress!, byteCount: body.count) }
                exchange.pointee.requestLength += body.count
                handling.store.release(store)
            } else {
                exchange.pointee.bodyStore = store
            }
        }
        if let upload {
            link.statistics.add(.proxyUploads)
            exchange.pointee.streamsBody = true
            exchange.pointee.chunkedBody = upload == .chunked
            connection.pointee.handlerState |= HandlerState.uploading
        }
        connection.pointee.handlerState |= HandlerState.proxied
        proxy.exchanges.ofSlot[Int(slot)] = id
        link.statistics.add(.proxyRequests)
        connectUpstream(id)
    }

    /// Takes an idle connection to the next upstream, or connects a new one.
    mutating func connectUpstream(_ id: UInt16) {
        let exchange = proxy.exchanges[id]
        let group = exchange.pointee.group
        // A retry after a reload replaced the upstream set: the group number now means another
        // route's upstreams (or none), so the request fails rather than going elsewhere.
        guard exchange.pointee.epoch == proxy.upstreams.epoch else {
            failExchange(id, status: .badGateway)
            return
        }
        let now = Worker.monotonicSeconds()
        guard let member = proxy.upstreams.choose(group: group, hashKey: exchange.pointee.hashKey, now: now, excluded: exchange.pointee.tried) else {
            if proxy.upstreams.waitsForRoom(group: group, now: now, excluded: exchange.pointee.tried) {
                // Every upstream it may use is at max_connections: it waits for the next
                // connection released to the group, up to the connect timeout (then 503).
                exchange.pointee.phase = .waiting
                exchange.pointee.deadline = now + proxy.upstreams.queueSeconds(group: group)
                proxy.upstreams.wait(group: group, id: id)
                link.statistics.add(.proxyQueued)
                return
            }
            // None to try at all (all down, or all at max_connections) is 503; none left
            // after failures is 502.
            failExchange(id, status: exchange.pointee.tried == 0 ? .serviceUnavailable : .badGateway)
            return
        }
        exchange.pointee.member = member
        exchange.pointee.tried |= 1 << UInt64(member)
        exchange.pointee.responseFilled = 0
        exchange.pointee.deadline = Int.max
        exchange.pointee.timedOut = false
        exchange.pointee.requestSent = 0
        exchange.pointee.bodySent = 0
        proxy.upstreams.began(group: group, member: member)
        if let fd = proxy.upstreams.takeIdle(group: group, member: member) {
            exchange.pointee.fd = fd
            exchange.pointee.reused = true
            sendUpstream(id)
            return
        }
        let upstream = proxy.upstreams[group: group].members[member]
        let fd = socket(upstream.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            releaseUpstream(group: group, member: member, epoch: exchange.pointee.epoch, fd: -1, reusable: false)
            failExchange(id, status: .badGateway)
            return
        }
        if upstream.family != AF_UNIX {
            var one: Int32 = 1
            setsockopt(fd, SocketLevel.tcp, TCP_NODELAY, &one, 4)
        }
        proxy.upstreams.opened(group: group, member: member)
        exchange.pointee.fd = fd
        exchange.pointee.reused = false
        exchange.pointee.phase = .connecting
        exchange.pointee.busy = true
        let generation = exchange.pointee.generation
        upstream.sockaddr.withUnsafeBytes { address in
            ring.prepareConnect(fd: fd, address: address.baseAddress!, length: socklen_t(address.count),
                                milliseconds: proxy.upstreams[group: group].options.connectTimeoutMilliseconds, spec: proxy.exchanges.timespec(id),
                                userData: UserData(slot: exchange.pointee.slot, operation: .upstreamConnect, buffer: id, generation: generation),
                                timeoutData: UserData(slot: 0, operation: .linkTimeout))
        }
    }

    /// The exchange of `data`, or nil when its client went away (then cleaned up here).
    mutating func liveExchange(_ data: UserData) -> UnsafeMutablePointer<ProxyExchange>? {
        let id = data.buffer
        let exchange = proxy.exchanges[id]
        exchange.pointee.busy = false
        let connection = table[exchange.pointee.slot]
        if exchange.pointee.abandoned || connection.pointee.generation != exchange.pointee.generation || !connection.pointee.isOpen {
            dropUpstream(id)
            freeExchange(id)
            return nil
        }
        return exchange
    }

    mutating func handleUpstreamConnect(_ data: UserData, _ completion: Completion) {
        guard let exchange = liveExchange(data) else { return }
        let id = data.buffer
        guard completion.result >= 0 else {
            upstreamFailed(id, kind: completion.result == -ECANCELED ? .timeout : .connect, retry: true)
            return
        }
        _ = exchange
        sendUpstream(id)
    }

    /// Sends what of the request is left: the chunk, then a body that did not fit it.
    mutating func sendUpstream(_ id: UInt16) {
        let exchange = proxy.exchanges[id]
        exchange.pointee.phase = .sending
        exchange.pointee.busy = true
        // The send timeout (the read timeout, as nginx's proxy_send_timeout): an upstream that
        // stops reading a body is cut off by the tick (expireUpstreamReads), not waited on.
        exchange.pointee.deadline = Worker.monotonicSeconds() + proxy.upstreams.readTimeoutSeconds(group: exchange.pointee.group, epoch: exchange.pointee.epoch)
        let data = UserData(slot: exchange.pointee.slot, operation: .upstreamSend, buffer: id, generation: exchange.pointee.generation)
        if exchange.pointee.requestSent < exchange.pointee.requestLength {
            ring.prepareSend(fd: exchange.pointee.fd, bytes: slab.pointer(exchange.pointee.requestChunk) + exchange.pointee.requestSent,
                             count: exchange.pointee.requestLength - exchange.pointee.requestSent, userData: data)
        } else {
            let body = handling.store.request(exchange.pointee.bodyStore).body
            ring.prepareSend(fd: exchange.pointee.fd, bytes: body.baseAddress! + exchange.pointee.bodySent,
                             count: body.count - exchange.pointee.bodySent, userData: data)
        }
    }

    mutating func handleUpstreamSend(_ data: UserData, _ completion: Completion) {
        guard let exchange = liveExchange(data) else { return }
        let id = data.buffer
        guard completion.result > 0 else {
            // A reused connection the upstream had closed fails here: retried on a new one.
            upstreamFailed(id, kind: exchange.pointee.timedOut ? .timeout : .response,
                           retry: !exchange.pointee.timedOut && (exchange.pointee.reused || exchange.pointee.idempotent))
            return
        }
        let sent = Int(completion.result)
        // A cancel the tick raced with a completion that won: not a timeout after all.
        exchange.pointee.timedOut = false
        if exchange.pointee.requestSent < exchange.pointee.requestLength {
            exchange.pointee.requestSent += sent
        } else {
            exchange.pointee.bodySent += sent
        }
        let bodyLeft = exchange.pointee.bodyStore != RequestStore.none
            && exchange.pointee.bodySent < handling.store.request(exchange.pointee.bodyStore).body.count
        if exchange.pointee.requestSent < exchange.pointee.requestLength || bodyLeft {
            sendUpstream(id)
            return
        }
        exchange.pointee.deadline = Int.max
        if exchange.pointee.streamsBody && !exchange.pointee.bodyEnded {
            uploadWindowSent(id)
            return
        }
        receiveUpstream(id)
    }

    /// Reads (more of) the response head into the exchange's response chunk.
    mutating func receiveUpstream(_ id: UInt16) {
        let exchange = proxy.exchanges[id]
        if exchange.pointee.responseChunk == ChunkSlab.none {
            guard let chunk = slab.allocate() else {
                failExchange(id, status: .serviceUnavailable)
                return
            }
            exchange.pointee.responseChunk = chunk
        }
        exchange.pointee.phase = .receiving
        exchange.pointee.busy = true
        // The read timeout is checked by the tick (ProxyExchanges.expire): a linked timeout
        // would add an SQE and a CQE to every proxied request.
        if exchange.pointee.deadline == Int.max {
            exchange.pointee.deadline = Worker.monotonicSeconds() + proxy.upstreams.readTimeoutSeconds(group: exchange.pointee.group, epoch: exchange.pointee.epoch)
        }
        let filled = exchange.pointee.responseFilled
        ring.prepareRecv(fd: exchange.pointee.fd, into: slab.pointer(exchange.pointee.responseChunk) + filled, count: slab.chunkSize - filled,
                         userData: UserData(slot: exchange.pointee.slot, operation: .upstreamRecv, buffer: id, generation: exchange.pointee.generation))
    }

    mutating func handleUpstreamRecv(_ data: UserData, _ completion: Completion) {
        guard let exchange = liveExchange(data) else { return }
        let id = data.buffer
        guard completion.result > 0 else {
            if exchange.pointee.timedOut {
                upstreamFailed(id, kind: .timeout, retry: false)
            } else {
                // Closed or reset before a whole head: a reused connection the upstream timed
                // out is retried when nothing of the response came.
                let retry = exchange.pointee.responseFilled == 0 && exchange.pointee.reused && exchange.pointee.idempotent
                upstreamFailed(id, kind: .response, retry: retry)
            }
            return
        }
        exchange.pointee.timedOut = false
        exchange.pointee.responseFilled += Int(completion.result)
        while true {
            let response = UnsafeRawBufferPointer(start: slab.pointer(exchange.pointee.responseChunk), count: exchange.pointee.responseFilled)
            switch ResponseParser.parseHead(response, headers: scratch.headerFields, maxHeadBytes: slab.chunkSize, requestWasHead: exchange.pointee.headOnly) {
            case .needMore:
                if exchange.pointee.responseFilled == slab.chunkSize { upstreamFailed(id, kind: .response, retry: false) } else { receiveUpstream(id) }
                return
            case .invalid:
                upstreamFailed(id, kind: .response, retry: false)
                return
            case .complete(let head) where head.status < 200:
                // An interim response (100, 102, 103) is dropped; 101 cannot be honoured:
                // Upgrade is hop-by-hop and was never forwarded.
                guard head.status != 101 else {
                    upstreamFailed(id, kind: .response, retry: false)
                    return
                }
                let rest = exchange.pointee.responseFilled - head.headLength
                let base = slab.pointer(exchange.pointee.responseChunk)
                memmove(base, base + head.headLength, rest)
                exchange.pointee.responseFilled = rest
            case .complete(let head):
                relayResponse(id, head: head, fields: UnsafeBufferPointer(rebasing: scratch.headerFields[0..<head.headerCount]))
                return
            }
        }
    }
}
