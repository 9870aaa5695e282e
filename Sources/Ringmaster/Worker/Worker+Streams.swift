// Sending a body stream after a connection's queued output: a cached body is sent straight
// from its cache block; a file is read with IORING_OP_READ into the stream's buffer and that
// buffer is sent before the next read, so a slow reader holds one buffer and the file stays on
// disk (backpressure); where the kernel allows, a file goes by sendfile(2) instead, one piece
// per turn with a ring poll between pieces (BodyStreams+Sendfile.swift). One operation is in
// flight per connection, as for the output chunk.
import Glibc

extension Worker {
    /// Largest single send from a cache block (a send's length must fit an Int32).
    static let maxStreamSend: UInt64 = 1 << 22

    /// Attaches `stream` to the connection: it starts once the queued output is sent.
    mutating func startStream(slot: UInt32, stream id: UInt32, body: FileBody, offset: UInt64, count: UInt64) {
        let stream = streams[id]
        switch body {
        case .memory(let block, let bytes):
            block.retain()
            stream.pointee.block = block
            stream.pointee.memory = bytes
        case .file(let fd):
            // io_uring honours O_NONBLOCK on the file (it would fail a read of an uncached
            // page with EAGAIN instead of completing it from its worker pool), and the open
            // set it to keep FIFOs from blocking, so it is cleared now that this is a file.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            stream.pointee.fd = fd
            // sendfile(2) would put the file on the socket in the clear: not for TLS.
            stream.pointee.sendfile = streams.sockets.enabled && !tls.isOn(slot)
        }
        stream.pointee.offset = offset
        stream.pointee.remaining = count
        table[slot].pointee.stream = id
        link.statistics.add(.fileStreams)
    }

    /// The next operation of the connection's stream: send what its buffer holds, send the
    /// next piece of a cached body, or read the next piece of the file.
    mutating func pumpStream(slot: UInt32) {
        let connection = table[slot]
        let id = connection.pointee.stream
        let stream = streams[id]
        if connection.pointee.outChunk != ChunkSlab.none {
            // Drained and idle: nothing else will be appended while the stream runs.
            slab.release(connection.pointee.outChunk)
            connection.pointee.outChunk = ChunkSlab.none
            connection.pointee.outStart = 0
            connection.pointee.outLength = 0
        }
        if stream.pointee.sendfile, pumpSendfile(slot: slot, stream: id) { return }
        let send = UserData(slot: slot, operation: .streamSend, buffer: UInt16(id), generation: connection.pointee.generation)
        if let memory = stream.pointee.memory {
            let count = min(stream.pointee.remaining, Worker.maxStreamSend)
            guard transmit(slot: slot, bytes: memory + Int(stream.pointee.offset), count: Int(count), userData: send) else {
                perform(connection.pointee.machine.failed(), slot: slot)
                return
            }
        } else if stream.pointee.filled > stream.pointee.sent {
            guard transmit(slot: slot, bytes: streams.buffer(id) + Int(stream.pointee.sent),
                           count: Int(stream.pointee.filled - stream.pointee.sent), userData: send) else {
                perform(connection.pointee.machine.failed(), slot: slot)
                return
            }
        } else if stream.pointee.writer {
            // Nothing written yet: the writer's next write starts the send.
            return
        } else if stream.pointee.upstream != nil {
            readUpstreamBody(slot: slot, stream: id)
        } else {
            var count = min(stream.pointee.remaining, UInt64(streams.bufferSize))
            // A sendfile stream reads only the piece found not cached, then returns to sendfile.
            if stream.pointee.sendfile { count = min(count, stream.pointee.ringUntil - stream.pointee.offset) }
            ring.prepareRead(fd: stream.pointee.fd, into: streams.buffer(id), count: UInt32(count), offset: stream.pointee.offset,
                             userData: UserData(slot: slot, operation: .fileRead, buffer: UInt16(id), generation: connection.pointee.generation))
        }
        stream.pointee.busy = true
        connection.pointee.machine.sendStarted()
    }

    /// The stream's operation for `data` completed: false (and the stream freed) when its
    /// connection is gone.
    mutating func streamCompletion(_ data: UserData) -> Bool {
        let id = UInt32(data.buffer)
        streams[id].pointee.busy = false
        let connection = table[data.slot]
        guard connection.pointee.generation == data.generation, connection.pointee.isOpen, connection.pointee.stream == id else {
            freeStream(id)
            return false
        }
        return true
    }

    mutating func handleFileRead(_ data: UserData, _ completion: Completion) {
        guard streamCompletion(data) else { return }
        let stream = streams[UInt32(data.buffer)]
        let result = completion.result
        if stream.pointee.upstream != nil {
            upstreamBodyRead(slot: data.slot, stream: UInt32(data.buffer), result: result)
            return
        }
        guard result > 0 else {
            // An error, or end of file before the promised length (the file shrank): the
            // head already went out, so the only honest signal left is to cut the connection.
            link.statistics.add(.fileErrors)
            perform(table[data.slot].pointee.machine.sendCompleted(ok: false, facts(data.slot)), slot: data.slot)
            return
        }
        stream.pointee.filled = UInt32(result)
        stream.pointee.sent = 0
        stream.pointee.offset += UInt64(result)
        stream.pointee.remaining -= min(UInt64(result), stream.pointee.remaining)
        // Read, not yet sent: the stream is still pending, so the machine asks for its send.
        guard perform(table[data.slot].pointee.machine.sendCompleted(ok: true, facts(data.slot)), slot: data.slot) else { return }
        updateTimer(slot: data.slot)
    }

    mutating func handleStreamSend(_ data: UserData, _ completion: Completion) {
        guard streamCompletion(data) else { return }
        let slot = data.slot
        let id = UInt32(data.buffer)
        let stream = streams[id]
        let result = completion.result
        guard result >= 0 else {
            link.statistics.add(.peerErrors)
            perform(table[slot].pointee.machine.sendCompleted(ok: false, facts(slot)), slot: slot)
            return
        }
        link.statistics.add(.bytesOut, UInt64(result))
        if stream.pointee.memory != nil {
            stream.pointee.offset += UInt64(result)
            stream.pointee.remaining -= UInt64(result)
        } else {
            stream.pointee.sent += UInt32(result)
            if stream.pointee.sent == stream.pointee.filled {
                stream.pointee.sent = 0
                stream.pointee.filled = 0
            }
            // What the writer wrote meanwhile goes in the emptied buffer.
            if stream.pointee.writer, !fillFromWriter(slot: slot) { return }
        }
        if stream.pointee.isFinished {
            freeStream(id)
            table[slot].pointee.stream = BodyStreams.none
        }
        guard perform(table[slot].pointee.machine.sendCompleted(ok: true, facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// Frees the connection's stream on close, unless an operation of it is in flight (its
    /// completion, stale by then, frees it).
    mutating func releaseStream(slot: UInt32) {
        streams.sockets.close(slot: slot)
        let id = table[slot].pointee.stream
        guard id != BodyStreams.none else { return }
        if !streams[id].pointee.busy { freeStream(id) }
        table[slot].pointee.stream = BodyStreams.none
    }

    /// A sendfile stream's step: true when it submitted the install or the poll that follows
    /// a piece, false when this piece goes by the ring's read and send.
    mutating func pumpSendfile(slot: UInt32, stream id: UInt32) -> Bool {
        let generation = table[slot].pointee.generation
        switch streams.sendfileStep(id, slot: slot, statistics: link.statistics) {
        case .install:
            ring.prepareFixedFDInstall(slot: slot, userData: UserData(slot: slot, operation: .fdInstall, buffer: UInt16(id), generation: generation))
        case .poll(let sent):
            if sent > 0 { link.statistics.add(.bytesOut, UInt64(sent)) }
            ring.preparePollWritable(slot: slot, userData: UserData(slot: slot, operation: .streamPoll, buffer: UInt16(id), generation: generation))
        case .ring:
            return false
        }
        streams[id].pointee.busy = true
        table[slot].pointee.machine.sendStarted()
        return true
    }

    /// The connection's regular descriptor arrived (or could not be had: then this body, and
    /// with EINVAL every later one, goes by the ring's read and send).
    mutating func handleFDInstall(_ data: UserData, _ completion: Completion) {
        guard streamCompletion(data) else {
            // The connection closed meanwhile: the descriptor is nobody's.
            if completion.result >= 0 { close(completion.result) }
            return
        }
        let slot = data.slot
        if completion.result >= 0 {
            streams.sockets.adopt(completion.result, slot: slot)
            link.statistics.add(.sendfileInstalls)
        } else {
            streams[UInt32(data.buffer)].pointee.sendfile = false
            if completion.isUnsupportedOperation, streams.sockets.disable() {
                link.logger.warning("worker \(link.index): IORING_OP_FIXED_FD_INSTALL refused (EINVAL; it needs Linux 6.8): large file bodies go by IORING_OP_READ + SEND")
            }
        }
        guard perform(table[slot].pointee.machine.sendCompleted(ok: true, facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// The socket has room after a sendfile piece (or the piece failed): the next piece.
    mutating func handleStreamPoll(_ data: UserData, _ completion: Completion) {
        guard streamCompletion(data) else { return }
        let slot = data.slot
        let id = UInt32(data.buffer)
        let stream = streams[id]
        let failure = stream.pointee.failure
        guard failure == .none, completion.result >= 0 else {
            // The head already promised a length: cutting the connection is the only signal.
            link.statistics.add(failure == .file ? .fileErrors : .peerErrors)
            perform(table[slot].pointee.machine.sendCompleted(ok: false, facts(slot)), slot: slot)
            return
        }
        if stream.pointee.isFinished {
            freeStream(id)
            table[slot].pointee.stream = BodyStreams.none
        }
        guard perform(table[slot].pointee.machine.sendCompleted(ok: true, facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }
}
