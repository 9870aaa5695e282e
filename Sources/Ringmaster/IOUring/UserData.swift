// The 64-bit `user_data` every SQE carries and its CQE returns: which connection slot, which
// operation, which buffer, and the slot's generation when the operation was submitted.

/// The operation an SQE performs, stored in `user_data` so a CQE dispatches without a lookup.
@frozen
public enum Operation: UInt8, Sendable {
    case accept = 1
    case recv
    case send
    case close
    case cancel
    case setsockopt
    case wake
    case timeout
    /// The timing wheel's once-a-second multishot timeout.
    case tick
    /// IORING_OP_READ of a streamed file into its stream buffer (buffer field: stream id).
    case fileRead
    /// A send of a streamed body (buffer field: stream id).
    case streamSend
    /// An access log buffer written to its file (IORING_OP_WRITE).
    case logWrite
    /// A timer a Swift handler asked for (`WorkerContext.after`); the slot field is its id.
    case handlerTimer
    /// shutdown(SHUT_WR) before a lingering close (IORING_OP_SHUTDOWN).
    case shutdown
    /// IORING_OP_FIXED_FD_INSTALL of a connection's regular descriptor for sendfile (buffer
    /// field: stream id).
    case fdInstall
    /// IORING_OP_POLL_ADD (POLLOUT) between sendfile pieces (buffer field: stream id).
    case streamPoll
    /// A proxied request's upstream connect, send and response-head recv (slot: the client
    /// connection, buffer field: the exchange id; docs/proxy.md).
    case upstreamConnect
    case upstreamSend
    case upstreamRecv
    /// The IORING_OP_LINK_TIMEOUT behind an upstream connect or recv: its own CQE is ignored
    /// (the linked operation's ECANCELED carries the verdict).
    case linkTimeout
    /// A send of a TLS connection's cipher records (buffer field: the cipher chunk).
    case tlsSend
}

/// `user_data` codec, `[slot:32][op:8][buffer:16][generation:8]` (DESIGN.md, "The event loop").
///
/// The generation is the slot's generation at submit time; the worker bumps it when it closes
/// the slot, so a completion for a previous occupant is recognised and dropped.
@frozen
public struct UserData: Equatable, Sendable {
    public var rawValue: UInt64

    @inlinable @inline(__always)
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable @inline(__always)
    public init(slot: UInt32, operation: Operation, buffer: UInt16 = 0, generation: UInt8 = 0) {
        rawValue = UInt64(slot) << 32 | UInt64(operation.rawValue) << 24
            | UInt64(buffer) << 8 | UInt64(generation)
    }

    @inlinable public var slot: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    /// The operation, or nil for a value this codec never produced.
    @inlinable public var operation: Operation? { Operation(rawValue: UInt8(truncatingIfNeeded: rawValue >> 24)) }
    @inlinable public var buffer: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 8) }
    @inlinable public var generation: UInt8 { UInt8(truncatingIfNeeded: rawValue) }
}
