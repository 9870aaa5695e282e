// Response bodies too large for a connection's output chunk: a cached file's bytes sent
// straight from the cache block, or a file read piece by piece with IORING_OP_READ into a
// per-stream buffer and sent before the next read (backpressure: a slow reader holds one
// buffer, never the file), or a file sent by sendfile(2) piece by piece where the kernel has
// IORING_OP_FIXED_FD_INSTALL (BodyStreams+Sendfile.swift). A per-worker pool; a connection
// holds at most one stream.
import Glibc
import RingmasterHTTP

/// One body being sent.
struct BodyStream {
    /// The file being read (IORING_OP_READ), or -1 when the body is in `block`.
    var fd: Int32 = -1
    /// The pinned cache block the body is sent from (memory streams).
    var block: FileBlock?
    /// Where the body starts in `block`.
    var memory: UnsafeRawPointer?
    /// Next byte of the body (file offset, or offset from `memory`) to read or send.
    var offset: UInt64 = 0
    /// Bytes of the body not yet read (file) or not yet sent (memory).
    var remaining: UInt64 = 0
    /// File streams: [sent, filled) of the stream buffer is read but not yet sent.
    var filled: UInt32 = 0
    var sent: UInt32 = 0
    /// A read or send is in flight: the kernel may still touch the buffer, so the stream
    /// outlives its connection until that completion arrives.
    var busy = false
    var inUse = false
    /// The file goes by sendfile(2) (pieces not in the page cache by the ring read).
    var sendfile = false
    /// Why the last sendfile piece stopped the stream (the poll after it reports it).
    var failure = SendfileFailure.none
    /// Sendfile streams: bytes before this file offset go by IORING_OP_READ + SEND (a piece
    /// found not cached).
    var ringUntil: UInt64 = 0
    /// A proxied response body: `fd` is the upstream socket (read with recv under a linked
    /// timeout), returned to its pool at the end when the body ended exactly (`reusable`).
    var upstream: UpstreamStream?

    /// A body an async handler writes as it goes (Worker+ResponseWriter.swift): [sent, filled)
    /// of the buffer is what it wrote and is not yet sent; `remaining` is 1 until it ends.
    var writer = false
    /// The writer's pieces go out as chunks (else the body runs until the close).
    var chunkedWriter = false

    /// Everything read has been sent and nothing is left.
    var isFinished: Bool { remaining == 0 && filled == sent }
}

/// The upstream side of a proxied body stream.
struct UpstreamStream {
    var group: Int
    var member: Int
    var epoch: UInt32
    /// Chunked bodies pass through as they are; the decoder only finds where they end.
    var chunked: BodyDecoder?
    /// The body runs until the upstream closes (no Content-Length, not chunked).
    var untilClose: Bool
    /// The upstream's head allows reusing the connection after this response.
    var keepAlive: Bool
    /// The body ended exactly where the response did: the connection may be reused.
    var reusable = false
    var readTimeoutSeconds: Int
    /// Monotonic second after which the recv in flight is cancelled (by the worker's tick,
    /// `expireUpstreamReads`: a linked timeout would add an SQE, a CQE and an hrtimer to
    /// every recv of the body).
    var deadline = Int.max
    /// The tick cancelled the recv: its ECANCELED is a timeout.
    var timedOut = false
}

/// The pool: entries plus one read buffer per entry in a reserved mapping (pages are
/// committed only when a file stream first reads into them). Entries are initialised as
/// `allocate` first reaches them, not all at start: an idle worker's entries cost no resident
/// page (issue 15, item 3; ~128 KiB at the default capacity).
struct BodyStreams: ~Copyable {
    static let none: UInt32 = .max
    let capacity: Int
    let bufferSize: Int
    let entries: UnsafeMutablePointer<BodyStream>
    /// Entries are set up as an id first reaches them (PoolIDs).
    private var ids: PoolIDs
    /// Entries 0..<fresh are initialised.
    var fresh: Int { ids.fresh }
    let buffers: MemoryRegion
    /// Connections' regular descriptors for sendfile.
    var sockets: SendfileSockets

    init(capacity: Int, bufferSize: Int, node: Int32?, sendfile: Bool = false, slots: Int = 0) throws(SetupError) {
        precondition(capacity < Int(UInt16.max), "stream ids travel in the 16-bit buffer field of user_data")
        self.capacity = capacity
        self.bufferSize = bufferSize
        entries = .allocate(capacity: max(capacity, 1))
        ids = PoolIDs(capacity: capacity)
        buffers = try MemoryRegion(size: max(capacity, 1) * bufferSize, populate: false, node: node, reserveOnly: true)
        sockets = SendfileSockets(enabled: sendfile, slots: slots, limit: capacity)
        if sockets.enabled { BodyStreams.blockBrokenPipeSignal() }
    }

    deinit {
        for i in 0..<fresh where entries[i].inUse {
            if entries[i].fd >= 0 { close(entries[i].fd) }
            entries[i].block?.release()
        }
        entries.deinitialize(count: fresh)
        entries.deallocate()
    }

    /// A free stream id, or nil when `capacity` bodies are already being sent.
    mutating func allocate() -> UInt32? {
        guard let (id, isNew) = ids.take() else { return nil }
        if isNew { (entries + id).initialize(to: BodyStream()) } else { entries[id] = BodyStream() }
        entries[id].inUse = true
        return UInt32(id)
    }

    /// Closes the file or unpins the block and returns the id to the pool.
    mutating func release(_ id: UInt32) {
        let stream = entries[Int(id)]
        guard stream.inUse else { return }
        if stream.fd >= 0 { close(stream.fd) }
        stream.block?.release()
        entries[Int(id)] = BodyStream()
        ids.give(Int(id))
    }

    @inline(__always)
    subscript(id: UInt32) -> UnsafeMutablePointer<BodyStream> { entries + Int(id) }

    @inline(__always)
    func buffer(_ id: UInt32) -> UnsafeMutableRawPointer { buffers.base + Int(id) * bufferSize }

}
