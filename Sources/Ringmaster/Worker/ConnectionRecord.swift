// The per-connection state: one 64-byte record per fixed-file slot, in one array per worker
// (DESIGN.md, "Connections"). Nothing in it is shared with another worker (audit item 8).
import RingmasterHTTP

/// One connection's state, exactly one cache line. The table's allocation is 64-byte aligned,
/// so record `i` sits alone on line `i` (Swift caps type alignment at 16, so the alignment is
/// on the allocation, not the type: STYLE.md fact 4). A layout test asserts the stride.
@frozen
public struct ConnectionRecord {
    /// Bumped on close; CQEs carrying another generation belong to a previous occupant.
    public var generation: UInt8
    /// `ConnectionFlags` bits.
    public var flags: UInt8
    /// The route whose response is owed once the request body has been consumed.
    public var pendingRoute: UInt8
    /// `PendingResponse` bits for that response.
    public var pendingFlags: UInt8
    /// The slab chunk holding outgoing bytes, or `ChunkSlab.none`.
    public var outChunk: UInt32
    /// Outgoing bytes: [outStart, outLength) are unsent. While a send is in flight (the
    /// `sending` flag) the chunk is neither compacted nor released.
    public var outStart: UInt32
    /// The body stream (`BodyStreams`) sending a large body after the output, or `BodyStreams.none`.
    var stream: UInt32
    public var outLength: UInt32
    /// The slab chunk carrying unparsed input between receives, or `ChunkSlab.none`.
    public var carryChunk: UInt32
    public var carryLength: UInt32
    /// Requests served on this connection.
    public var requests: UInt32
    /// The request body being consumed (Content-Length or chunked), 16 bytes.
    public var body: BodyDecoder
    /// Which timeout the connection's deadline (in the worker's `TimingWheel`) stands for.
    public var timer: TimerKind
    /// `HandlerState` bits: a handler request collecting its body, a deferred response, a
    /// response held for output room (details in the worker's handler side table).
    public var handlerState: UInt8
    /// For a pending 405: the methods the path accepts (`MethodSet` bits), for `Allow`.
    public var allowedMethods: UInt16
    var reserved2: UInt32
    var reserved3: UInt64

    /// A closed, empty record with generation `generation`.
    public init(generation: UInt8) {
        self.generation = generation
        flags = 0
        pendingRoute = 0
        pendingFlags = 0
        outChunk = ChunkSlab.none
        outStart = 0
        stream = BodyStreams.none
        outLength = 0
        carryChunk = ChunkSlab.none
        carryLength = 0
        requests = 0
        body = BodyDecoder()
        timer = .none
        handlerState = 0
        allowedMethods = 0
        reserved2 = 0
        reserved3 = 0
    }
}

/// Bits of `ConnectionRecord.flags`.
public enum ConnectionFlags {
    /// The slot holds an accepted connection.
    public static let open: UInt8 = 1 << 0
    /// A multishot recv is armed.
    public static let receiving: UInt8 = 1 << 1
    /// A send is in flight.
    public static let sending: UInt8 = 1 << 2
    /// Close once the queued output is sent (Connection: close, an error, a drain).
    public static let closeAfterSend: UInt8 = 1 << 3
    /// Parked without a recv because the buffer ring ran dry (ENOBUFS).
    public static let starved: UInt8 = 1 << 4
    /// The peer shut down its side; finish sending, then close.
    public static let peerClosed: UInt8 = 1 << 5
    /// Input is waiting in the carry buffer for output space.
    public static let outputBlocked: UInt8 = 1 << 6
}

/// Bits of `ConnectionRecord.pendingFlags`.
public enum PendingResponse {
    /// A response is owed after the body.
    public static let owed: UInt8 = 1 << 0
    /// It is for HEAD: headers only.
    public static let headOnly: UInt8 = 1 << 1
    /// It closes the connection.
    public static let close: UInt8 = 1 << 2
}

/// The timeout a connection is under, chosen from its state after each event.
public enum TimerKind: UInt8, Sendable {
    case none
    /// Between requests on a keep-alive connection.
    case idle
    /// From the first byte of a request head to its end (slowloris).
    case header
    /// Between reads of a request body.
    case body
    /// Between progress of a send (a client that stops reading).
    case write
}
