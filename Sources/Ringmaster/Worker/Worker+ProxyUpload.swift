// Streaming a request body to the upstream as it arrives (docs/proxy.md, "Uploads"): a
// chunked body, or one whose Content-Length is more than half a chunk, is not collected. The
// exchange starts at the head; each decoded piece of body is copied into the exchange's
// request chunk, which works as a window: the head first, then body bytes, sent as they come
// (bytes may be added behind a send in flight: the kernel reads only the range it was given)
// and emptied once it has all gone. While the window is full the client's input waits, held
// unparsed and with receiving stopped (the backpressure of HeldInput), so a client can get no
// further ahead of a slow upstream than one window and the socket buffers: memory per upload
// is one chunk, whatever its size.
import RingmasterHTTP

extension Worker {
    /// Room kept in the window behind a piece: its chunk-size line and CRLF (re-framing a
    /// piece under 4 GiB takes at most 8 hex digits + 4 bytes) and the last chunk `0\r\n\r\n`.
    static let uploadFramingReserve = 24
    /// Below this much room the client's input waits for the window to empty instead of
    /// being taken in slivers (each piece a send, and for a chunked body a chunk).
    static let uploadMinimumRoom = 512

    /// Whether a proxied request's body (still to come) is streamed rather than collected:
    /// a chunked one from an HTTP/1.1 client (an HTTP/1.0 request to the upstream cannot
    /// carry chunked), and one announced longer than half a chunk. A shorter one is collected
    /// and goes out in the head's send, where a retry can send it again.
    func streamsUpload(_ head: RequestHead) -> Bool {
        switch head.framing {
        case .chunked: return head.version == .http11
        case .contentLength(let length): return length > UInt64(slab.chunkSize / 2)
        case .none: return false
        }
    }

    /// How many more received bytes the upload's window can take now (0: wait for the
    /// upstream). A decoded piece is never longer than the bytes it came from.
    func uploadRoom(slot: UInt32) -> Int {
        let exchange = proxy.exchanges[proxy.exchanges.ofSlot[Int(slot)]]
        let room = slab.chunkSize - exchange.pointee.requestLength - Worker.uploadFramingReserve
        return room >= Worker.uploadMinimumRoom ? room : 0
    }

    /// Decoded body bytes of a streamed upload: into the window (as a chunk when the body is
    /// re-framed), and sent now if nothing is in flight.
    mutating func appendUpload(slot: UInt32, _ data: UnsafeRawBufferPointer) {
        let id = proxy.exchanges.ofSlot[Int(slot)]
        let exchange = proxy.exchanges[id]
        let base = slab.pointer(exchange.pointee.requestChunk)
        var length = exchange.pointee.requestLength
        assert(length + data.count + Worker.uploadFramingReserve <= slab.chunkSize, "uploadRoom bounds every piece")
        if exchange.pointee.chunkedBody { Worker.writeChunkSize(data.count, into: base, at: &length) }
        (base + length).copyMemory(from: data.baseAddress!, byteCount: data.count)
        length += data.count
        if exchange.pointee.chunkedBody { Worker.append("\r\n", to: base, at: &length) }
        exchange.pointee.requestLength = length
        if exchange.pointee.phase == .awaitingBody { sendUpstream(id) }
    }

    /// The client's body ended: the last chunk goes out after the rest, then the response
    /// head is read (handleUpstreamSend).
    mutating func uploadEnded(slot: UInt32) {
        let id = proxy.exchanges.ofSlot[Int(slot)]
        let exchange = proxy.exchanges[id]
        table[slot].pointee.handlerState &= ~HandlerState.uploading
        exchange.pointee.bodyEnded = true
        if exchange.pointee.chunkedBody {
            var length = exchange.pointee.requestLength
            Worker.append("0\r\n\r\n", to: slab.pointer(exchange.pointee.requestChunk), at: &length)
            exchange.pointee.requestLength = length
        }
        guard exchange.pointee.phase == .awaitingBody else { return }
        if exchange.pointee.requestSent < exchange.pointee.requestLength { sendUpstream(id) } else { receiveUpstream(id) }
    }

    /// Everything in the window has been sent and more body is to come: the window empties
    /// (from now on a failure cannot be retried) and the client's input that waited for room
    /// is parsed again.
    mutating func uploadWindowSent(_ id: UInt16) {
        let exchange = proxy.exchanges[id]
        exchange.pointee.requestLength = 0
        exchange.pointee.requestSent = 0
        exchange.pointee.windowReused = true
        exchange.pointee.phase = .awaitingBody
        let slot = exchange.pointee.slot
        guard perform(table[slot].pointee.machine.uploadRoomMade(), slot: slot) else { return }
        updateTimer(slot: slot)
    }

    /// The client's body turned out bad (over limits.body_bytes, broken chunk framing) while
    /// streaming: the exchange is abandoned (the upstream connection, which holds a partial
    /// request, is closed) before the error answers the client.
    mutating func cancelUpload(slot: UInt32) {
        abandonExchange(slot: slot)
        table[slot].pointee.handlerState &= ~(HandlerState.proxied | HandlerState.uploading)
        clearUpstreamLog()
    }

    /// `count` in hex and CRLF: a chunk-size line (RFC 9112 §7.1).
    static func writeChunkSize(_ count: Int, into base: UnsafeMutableRawPointer, at length: inout Int) {
        var digits = 1
        while count >> (4 * digits) != 0 { digits += 1 }
        var i = digits
        while i > 0 {
            i -= 1
            let nibble = UInt8((count >> (4 * (digits - 1 - i))) & 0xF)
            base.storeBytes(of: nibble < 10 ? 0x30 + nibble : 0x57 + nibble, toByteOffset: length + i, as: UInt8.self)
        }
        length += digits
        append("\r\n", to: base, at: &length)
    }
}
