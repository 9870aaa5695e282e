// The worker's TLS sessions, one per connection slot of a TLS listener: the OpenSSL session,
// the BIO's view of the worker's buffers (ctls_io), and the cipher chunk the session's records
// are appended to until the kernel has sent them. A component: it knows OpenSSL and the slab,
// never the ring or the connection machine (Worker+TLS.swift drives it).
import CTLS

/// One connection's TLS state.
struct TLSConnection {
    /// The OpenSSL session (SSL *); nil for a plain connection.
    var ssl: OpaquePointer? = nil
    /// Where the session's BIO reads ciphertext and appends records. Its address is the BIO's
    /// data, so the record must not move: it lives in `TLSSessions`' region.
    var io = ctls_io()
    /// The cipher chunk (ChunkSlab.none when no records wait): a `TLSSessions.header` of
    /// owed-send bookkeeping, then the records from `io.out` up to `io.out_len`.
    var chunk: UInt32 = ChunkSlab.none
    /// Bytes of the records handed to the kernel so far.
    var sent: UInt32 = 0
    /// The length of the send in flight; 0 when none.
    var inFlight: UInt32 = 0
    /// The handshake has not finished.
    var handshaking = false
    /// The session saw a fatal error (an alert went or came): no close_notify follows.
    var broken = false
    /// Input has arrived (the first byte was checked for plain HTTP).
    var started = false
    /// The close_notify was written: the session sends nothing more.
    var farewell = false
}

/// Per-slot TLS sessions. Empty (and free) when the listener is plain.
struct TLSSessions: ~Copyable {
    /// Bytes at the start of a cipher chunk before its records: the UserData of the plaintext
    /// send the records stand for (0: none) and its byte count, so a completion that arrives
    /// after its connection closed can still tell the send's owner (Worker+TLS.swift).
    static let header = 16
    /// Bytes a record adds to its plaintext at most with the AEAD suites we allow (TLS 1.2 GCM:
    /// 5 header + 8 explicit nonce + 16 tag; TLS 1.3: 5 + 1 content type + 16 tag), rounded up.
    static let recordOverhead = 64
    static let maxRecord = 16384

    /// New connections' contexts; replaced on reload (open sessions keep their own).
    var context: TLSContext?
    let slots: Int
    let memory: MemoryRegion?
    let connections: UnsafeMutablePointer<TLSConnection>?

    init(context: TLSContext?, slots: Int, node: Int32?) throws(SetupError) {
        self.context = context
        self.slots = slots
        guard context != nil else {
            memory = nil
            connections = nil
            return
        }
        // Not pre-faulted, like the acceptor's addresses: a slot's line is touched on first use.
        let region = try MemoryRegion(size: slots * MemoryLayout<TLSConnection>.stride, populate: false, node: node)
        // Zeroed memory reads as `ssl == nil` (no session); `open` writes the whole record
        // before anything else is read (TLSConnection is trivial, so no initialize needed).
        connections = region.base.bindMemory(to: TLSConnection.self, capacity: slots)
        memory = consume region
    }

    deinit {
        guard let connections else { return }
        for slot in 0..<slots where connections[slot].ssl != nil { SSL_free(connections[slot].ssl) }
    }

    /// Seconds since the shared ticket keys last rotated (worker 0 counts).
    var secondsSinceRotation = 0

    /// Worker 0 calls it once a second: a new ticket key every `tls.ticket_rotation_s`. The
    /// keys are the process's (CTLS), so one worker rotating is enough for all.
    mutating func tickTicketKeys() {
        guard let context else { return }
        secondsSinceRotation += 1
        guard secondsSinceRotation >= context.settings.ticketRotationSeconds else { return }
        secondsSinceRotation = 0
        _ = TLSContext.rotateTicketKeys()
    }

    /// Whether this worker's listener speaks TLS.
    var enabled: Bool { connections != nil }

    /// The session of `slot` (TLS listeners only).
    @inline(__always)
    subscript(slot: UInt32) -> UnsafeMutablePointer<TLSConnection> {
        assert(connections != nil && Int(slot) < slots)
        return connections.unsafelyUnwrapped + Int(slot)
    }

    /// Whether `slot` is a TLS connection (a session is open).
    @inline(__always)
    func isOn(_ slot: UInt32) -> Bool {
        guard let connections else { return false }
        return connections[Int(slot)].ssl != nil
    }

    /// Starts a server session for `slot`; false when OpenSSL is out of memory.
    mutating func open(_ slot: UInt32) -> Bool {
        guard let context else { return false }
        let session = self[slot]
        session.pointee = TLSConnection()
        guard let ssl = ctls_session_new(context.context, &session.pointee.io) else { return false }
        session.pointee.ssl = ssl
        session.pointee.handshaking = true
        return true
    }

    /// Ends `slot`'s session. The cipher chunk goes back unless a send still reads it (its
    /// completion releases it).
    mutating func close(_ slot: UInt32, slab: inout ChunkSlab) {
        let session = self[slot]
        if let ssl = session.pointee.ssl { SSL_free(ssl) }
        if session.pointee.inFlight == 0 && session.pointee.chunk != ChunkSlab.none { slab.release(session.pointee.chunk) }
        session.pointee = TLSConnection()
    }

    /// Points the session's output at a cipher chunk with room, taking one from the slab or
    /// compacting the current one when no send reads it. False when the slab is exhausted.
    mutating func prepareOutput(_ slot: UInt32, slab: inout ChunkSlab) -> Bool {
        let session = self[slot]
        if session.pointee.chunk == ChunkSlab.none {
            guard let chunk = slab.allocate() else { return false }
            let base = slab.pointer(chunk)
            base.storeBytes(of: 0, as: UInt64.self)
            session.pointee.chunk = chunk
            session.pointee.sent = 0
            session.pointee.io.out = (base + TLSSessions.header).assumingMemoryBound(to: UInt8.self)
            session.pointee.io.out_cap = slab.chunkSize - TLSSessions.header
            session.pointee.io.out_len = 0
        } else if session.pointee.inFlight == 0 && session.pointee.sent > 0 {
            let sent = Int(session.pointee.sent)
            let unsent = session.pointee.io.out_len - sent
            if unsent > 0 { (session.pointee.io.out! as UnsafeMutablePointer<UInt8>).update(from: session.pointee.io.out! + sent, count: unsent) }
            session.pointee.io.out_len = unsent
            session.pointee.sent = 0
        }
        return true
    }

    /// Plaintext bytes (at most `count`) whose records surely fit the output's room.
    func plaintextRoom(_ slot: UInt32, count: Int) -> Int {
        let io = self[slot].pointee.io
        let room = io.out_cap - io.out_len
        let records = room / TLSSessions.maxRecord + 1
        return max(0, min(count, room - records * TLSSessions.recordOverhead))
    }

    /// Records written but not yet handed to the kernel.
    func unsent(_ slot: UInt32) -> (bytes: UnsafeRawPointer, count: Int)? {
        let session = self[slot].pointee
        guard session.chunk != ChunkSlab.none, session.inFlight == 0, session.io.out_len > Int(session.sent) else { return nil }
        return (UnsafeRawPointer(session.io.out! + Int(session.sent)), session.io.out_len - Int(session.sent))
    }

    /// Every record was sent: the chunk goes back to the slab.
    mutating func drained(_ slot: UInt32, slab: inout ChunkSlab) {
        let session = self[slot]
        if session.pointee.chunk != ChunkSlab.none { slab.release(session.pointee.chunk) }
        session.pointee.chunk = ChunkSlab.none
        session.pointee.sent = 0
        session.pointee.io.out = nil
        session.pointee.io.out_cap = 0
        session.pointee.io.out_len = 0
    }
}
