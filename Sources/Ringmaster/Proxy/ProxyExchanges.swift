// The requests a worker is forwarding: one exchange per client connection at a time (later
// pipelined requests wait behind it, in order), from choosing an upstream to the response head.
// Once the head is back the exchange ends: the response is committed through the one answer
// path and its body, if it continues, is a body stream reading the upstream socket.

/// One forwarded request, from connect to response head.
struct ProxyExchange {
    enum Phase: UInt8 {
        /// Waiting for a connection: every usable upstream is at max_connections.
        case waiting
        case connecting, sending, receiving
        /// Connected, everything so far sent, and more of a streamed body still to come from
        /// the client (nothing in flight).
        case awaitingBody
    }

    /// The client connection and its generation when the exchange began.
    var slot: UInt32 = 0
    var generation: UInt8 = 0
    var phase = Phase.connecting
    /// An operation on `fd` is in flight: the exchange outlives its client until it completes.
    var busy = false
    /// The client went away: the next completion closes `fd` and frees the exchange.
    var abandoned = false
    /// The connection came from the idle pool (a failure before any response byte may just be
    /// the upstream having closed it: retried on a fresh one).
    var reused = false
    var headOnly = false
    /// The client's request asked to close (or the server drains) after this response.
    var clientClose = false
    /// Safe to send again after a failure that may have reached the upstream (RFC 9110 §9.2.2).
    var idempotent = false
    var group: Int = 0
    var member: Int = 0
    var epoch: UInt32 = 0
    var fd: Int32 = -1
    /// Members tried already, one bit each.
    var tried: UInt64 = 0
    /// The request's key for the hashing balances (Upstreams.hashKey).
    var hashKey: UInt64 = 0
    /// The request bytes (head, and the body when it fits), then the response head: a slab chunk.
    var requestChunk: UInt32 = ChunkSlab.none
    var requestLength = 0
    var requestSent = 0
    /// A body too large for the chunk, sent from the collected request after the head.
    var bodyStore: UInt32 = RequestStore.none
    var bodySent = 0
    /// The body is forwarded as it arrives, through `requestChunk` as a window (head first,
    /// then body bytes; emptied each time it has all been sent), instead of collected first.
    var streamsBody = false
    /// The streamed body is re-framed as chunks (the client's was chunked).
    var chunkedBody = false
    /// The client's body has ended (for a chunked one, the last chunk is in the window).
    var bodyEnded = false
    /// The window was emptied and refilled: what was sent cannot be sent again, so a failure
    /// is no longer retried.
    var windowReused = false
    /// The upstream's response so far: a second slab chunk.
    var responseChunk: UInt32 = ChunkSlab.none
    var responseFilled = 0
    /// The linked timeout's timespec (the kernel copies it at submission).
    var timespec: (Int64, Int64) = (0, 0)
    /// When the exchange began (monotonic nanoseconds), for the upstream time.
    var started: UInt64 = 0
    /// Monotonic second after which the recv of the response head is cancelled (checked by
    /// the worker's once-a-second tick, so no linked timeout rides on every request).
    var deadline = Int.max
    /// The tick cancelled the recv: its ECANCELED is a timeout.
    var timedOut = false
    var inUse = false
}

/// A fixed pool of exchanges, and which one each client slot holds.
struct ProxyExchanges: ~Copyable {
    static let none: UInt16 = .max
    let capacity: Int
    let entries: UnsafeMutablePointer<ProxyExchange>
    /// Entries are set up as an id first reaches them, so a worker that proxies nothing keeps
    /// none of them resident (issue 15, item 3: 1024 entries are about 180 KiB).
    private var ids: PoolIDs
    /// Entries 0..<fresh are initialised.
    var fresh: Int { ids.fresh }
    /// Exchanges in use.
    var inUse: Int { ids.inUse }
    /// The exchange of each client slot, or `none`; written before read (the record's
    /// `HandlerState.proxied` bit says when it is live), so never initialised as a whole.
    let ofSlot: UnsafeMutablePointer<UInt16>

    init(capacity: Int, slots: Int) {
        self.capacity = min(capacity, Int(UInt16.max) - 1)
        entries = .allocate(capacity: max(self.capacity, 1))
        ids = PoolIDs(capacity: self.capacity)
        ofSlot = .allocate(capacity: max(slots, 1))
    }

    deinit {
        entries.deinitialize(count: ids.fresh)
        entries.deallocate()
        ofSlot.deallocate()
    }

    mutating func allocate() -> UInt16? {
        guard let (id, isNew) = ids.take() else { return nil }
        if isNew { (entries + id).initialize(to: ProxyExchange()) } else { entries[id] = ProxyExchange() }
        entries[id].inUse = true
        return UInt16(id)
    }

    mutating func release(_ id: UInt16) {
        guard entries[Int(id)].inUse else { return }
        entries[Int(id)].inUse = false
        ids.give(Int(id))
    }

    @inline(__always)
    subscript(id: UInt16) -> UnsafeMutablePointer<ProxyExchange> {
        assert(Int(id) < capacity)
        return entries + Int(id)
    }

    /// The exchange's timespec memory, for the linked timeout.
    func timespec(_ id: UInt16) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(entries + Int(id)) + MemoryLayout<ProxyExchange>.offset(of: \ProxyExchange.timespec)!
    }
}
