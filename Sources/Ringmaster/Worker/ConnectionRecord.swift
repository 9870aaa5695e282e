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
    /// The route whose response is owed once the request body has been consumed, in the
    /// route table of `tableEpoch`.
    public var pendingRoute: UInt8
    /// The lifecycle: flags and timer, changed only by the machine's transitions.
    public var machine: ConnectionMachine
    /// `PendingResponse` bits for that response.
    public var pendingFlags: UInt8
    /// `HandlerState` bits: a handler request collecting its body, a deferred response, a
    /// response held for output room (details in the worker's handler side table).
    public var handlerState: UInt8
    /// The slab chunk holding outgoing bytes, or `ChunkSlab.none`.
    public var outChunk: UInt32
    /// Outgoing bytes: [outStart, outLength) are unsent. While a send is in flight the
    /// chunk is neither compacted nor released.
    public var outStart: UInt32
    /// The body stream (`BodyStreams`) sending a large body after the output, or `BodyStreams.none`.
    var stream: UInt32
    public var outLength: UInt32
    /// The slab chunk carrying unparsed input between receives, or `ChunkSlab.none`.
    public var carryChunk: UInt32
    public var carryLength: UInt32
    /// Requests served on this connection.
    public var requests: UInt32
    /// Bytes read and dropped since the connection began closing (lingering close cap).
    public var discarded: UInt32
    /// The request body being consumed (Content-Length or chunked), 16 bytes.
    public var body: BodyDecoder
    /// For a pending 405: the methods the path accepts (`MethodSet` bits), for `Allow`.
    public var allowedMethods: UInt16
    /// Which route table `pendingRoute` indexes (RouteTables: a reload keeps the old table
    /// until the requests that matched it are answered).
    public var tableEpoch: UInt8
    /// The listener expects a PROXY protocol header and it has not been read yet: the first
    /// bytes go to `ProxyHeader`, not the request parser.
    public var awaitsProxyHeader: Bool
    var reserved2: UInt32

    /// A closed, empty record with generation `generation`.
    public init(generation: UInt8) {
        self.generation = generation
        pendingRoute = 0
        machine = ConnectionMachine()
        pendingFlags = 0
        handlerState = 0
        outChunk = ChunkSlab.none
        outStart = 0
        stream = BodyStreams.none
        outLength = 0
        carryChunk = ChunkSlab.none
        carryLength = 0
        requests = 0
        discarded = 0
        body = BodyDecoder()
        allowedMethods = 0
        tableEpoch = 0
        awaitsProxyHeader = false
        reserved2 = 0
    }

    /// Whether the slot holds an accepted connection.
    @inline(__always) var isOpen: Bool { machine.isOpen }
}

/// Bits of `ConnectionRecord.pendingFlags`.
public enum PendingResponse {
    /// A response is owed after the body.
    public static let owed: UInt8 = 1 << 0
    /// It is for HEAD: headers only.
    public static let headOnly: UInt8 = 1 << 1
    /// It closes the connection.
    public static let close: UInt8 = 1 << 2
    /// The request was HTTP/1.0: a body of unknown length cannot go chunked (RFC 9112 §7.1),
    /// so it runs until the close.
    public static let http10: UInt8 = 1 << 3
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
    /// After the last response, while discarding what the client still sends.
    case linger
    /// From accept to a finished TLS handshake (`tls.handshake_timeout_s`).
    case handshake
}
