// The worker's side of a streamed async response body (ResponseBodyWriter.swift): the answer
// is committed with a body stream whose buffer the handler's writer fills. Each write is
// copied in as the buffer has room (as one chunk, with a fixed-width size line, when the
// head said chunked), the stream sends what it holds, and the send's completion empties the
// buffer and takes the next write: one buffer per body, and a slow client makes the writer
// wait. The writer is an actor on this worker's executor, reached with `assumeIsolated`.
import RingmasterHTTP

extension Worker {
    /// A chunk-size line of fixed width, written before the piece's length is known: eight
    /// hex digits (leading zeros are allowed: RFC 9112 §7.1) and CRLF.
    static let writerChunkLine = 10
    /// Room kept behind a piece: its CRLF and the last chunk `0\r\n\r\n`.
    static let writerFramingReserve = writerChunkLine + 2 + 5

    /// Whether a writer stream has bytes to send, or a send in flight.
    @inline(__always)
    func writerHasBytes(_ id: UInt32) -> Bool {
        let stream = streams[id]
        return stream.pointee.filled > stream.pointee.sent || stream.pointee.busy
    }

    /// The answer's body is written by an async handler as it goes: `stream` sends it.
    mutating func startWriterStream(slot: UInt32, stream id: UInt32, chunked: Bool) {
        let stream = streams[id]
        stream.pointee.writer = true
        stream.pointee.chunkedWriter = chunked
        stream.pointee.remaining = 1
        table[slot].pointee.stream = id
        table[slot].pointee.handlerState |= HandlerState.streamingResponse
    }

    /// The answer with a streamed body was committed: its writer feeds the connection's
    /// stream from now on. A body that will not be sent (HEAD, 204, no stream free, a 500 in
    /// its place, the connection closed) fails the writer, which ends the handler's task.
    mutating func attachWriter(_ writer: ResponseBodyWriter, slot: UInt32) {
        let connection = table[slot]
        guard connection.pointee.isOpen, connection.pointee.handlerState & HandlerState.streamingResponse != 0 else {
            writer.assumeIsolated { $0.fail(CancellationError()) }
            return
        }
        handling.context.responseWriters[slot] = writer
        // Written (or ended) before the head was out; the caller's answerProgressed starts
        // the sends.
        let id = connection.pointee.stream
        guard fillFromWriter(slot: slot) else { return }
        retireFinishedWriterStream(slot: slot, stream: id)
    }

    /// A writer stream with everything sent and the writer ended is done: freed, so the
    /// connection goes on (pumpStream would find nothing to send in it).
    mutating func retireFinishedWriterStream(slot: UInt32, stream id: UInt32) {
        let connection = table[slot]
        guard connection.pointee.stream == id, streams[id].pointee.isFinished, !streams[id].pointee.busy else { return }
        freeStream(id)
        connection.pointee.stream = BodyStreams.none
    }

    /// Copies what the writer wrote into the stream's buffer as it has room, and marks the
    /// body complete (the last chunk in) once the writer has ended and all of it is in.
    /// Returns false when the connection was cut (the writer broke off mid-body).
    mutating func fillFromWriter(slot: UInt32) -> Bool {
        let connection = table[slot]
        guard connection.pointee.handlerState & HandlerState.streamingResponse != 0,
              let writer = handling.context.responseWriters[slot] else { return true }
        let stream = streams[connection.pointee.stream]
        let base = streams.buffer(connection.pointee.stream)
        let chunked = stream.pointee.chunkedWriter
        var filled = Int(stream.pointee.filled)
        while true {
            let room = streams.bufferSize - filled - Worker.writerFramingReserve
            guard room > 0 else { break }
            let start = filled + (chunked ? Worker.writerChunkLine : 0)
            // The address as a number: the closure runs here, on this thread, but a pointer
            // is not Sendable.
            let address = UInt(bitPattern: base + start)
            let count = writer.assumeIsolated { $0.take(into: UnsafeMutableRawPointer(bitPattern: address)!, room: room) }
            guard count > 0 else { break }
            if chunked {
                Worker.writeFixedChunkSize(count, into: base + filled)
                filled += 8
                Worker.append("\r\n", to: base, at: &filled)
                filled = start + count
                Worker.append("\r\n", to: base, at: &filled)
            } else {
                filled = start + count
            }
        }
        stream.pointee.filled = UInt32(filled)
        let (ended, aborted, pending) = writer.assumeIsolated { ($0.ended, $0.aborted, $0.hasPending) }
        guard ended && !pending else { return true }
        handling.context.responseWriters[slot] = nil
        connection.pointee.handlerState &= ~HandlerState.streamingResponse
        if aborted {
            // The head promised a whole body. Chunked: what was written goes out, then the
            // connection closes without the last chunk, so the client sees a body broken off.
            // Until the close: the close would read as the end, so it is cut now instead.
            guard chunked else {
                perform(connection.pointee.machine.failed(), slot: slot)
                return false
            }
            stream.pointee.remaining = 0
            connection.pointee.machine.answerQueued(closes: true)
            return true
        }
        if chunked { Worker.append("0\r\n\r\n", to: base, at: &filled) }
        stream.pointee.filled = UInt32(filled)
        stream.pointee.remaining = 0
        return true
    }

    /// The writer of `slot` wrote or ended (WorkerContext.takeWriterEvents): its bytes go in,
    /// and the stream sends them unless a send is in flight (whose completion carries on).
    mutating func writerEvent(slot: UInt32, generation: UInt8) {
        guard Int(slot) < table.capacity else { return }
        let connection = table[slot]
        guard connection.pointee.isOpen, connection.pointee.generation == generation,
              connection.pointee.handlerState & HandlerState.streamingResponse != 0 else { return }
        let id = connection.pointee.stream
        guard fillFromWriter(slot: slot) else { return }
        retireFinishedWriterStream(slot: slot, stream: id)
        guard !connection.pointee.machine.isSending else { return }
        guard perform(connection.pointee.machine.answerProgressed(facts(slot)), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// The connection closed mid-body: the writer's writes throw from now on and the
    /// handler's task is cancelled.
    mutating func detachWriter(slot: UInt32) {
        table[slot].pointee.handlerState &= ~HandlerState.streamingResponse
        handling.context.cancelTask(deferral: handling.slots[Int(slot)].deferralID)
        guard let writer = handling.context.responseWriters.removeValue(forKey: slot) else { return }
        writer.assumeIsolated { $0.fail(CancellationError()) }
    }

    /// `count` as eight hex digits at `base` (a chunk-size line's digits).
    static func writeFixedChunkSize(_ count: Int, into base: UnsafeMutableRawPointer) {
        var i = 0
        while i < 8 {
            let nibble = UInt8((count >> (4 * (7 - i))) & 0xF)
            base.storeBytes(of: nibble < 10 ? 0x30 + nibble : 0x57 + nibble, toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }
}
