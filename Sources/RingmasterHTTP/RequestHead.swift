// The parsed request head: the request line's parts as offsets and the framing and
// connection facts the server acts on. Field storage is the caller's array.

/// The parsed request head. All ranges are offsets into the parsed buffer.
public struct RequestHead: Sendable {
    /// The recognised method (`.other` for any other valid token).
    public var method: HTTPMethod
    /// Offset of the method token: 0 unless leading empty lines were skipped (RFC 9112 §2.2).
    public var methodStart: UInt32
    /// Length of the method token.
    public var methodLength: UInt32
    /// Offset of the request-target (RFC 9112 §3.2).
    public var targetStart: UInt32
    /// Length of the request-target (never zero).
    public var targetLength: UInt32
    /// The protocol version.
    public var version: HTTPVersion
    /// Number of fields written to the caller's header storage.
    public var headerCount: Int
    /// How the body is delimited (RFC 9112 §6.3).
    public var framing: BodyFraming
    /// Whether the connection persists after this request (RFC 9112 §9.3): HTTP/1.1
    /// unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
    public var keepAlive: Bool
    /// Whether the "close" connection option was sent, so the response echoes it.
    public var connectionClose: Bool
    /// Whether "Expect: 100-continue" was sent in an HTTP/1.1 request (RFC 9110 §10.1.1
    /// says to ignore it in HTTP/1.0).
    public var expectContinue: Bool
    /// Whether a Host field was present (required in HTTP/1.1, RFC 9112 §3.2).
    public var hostPresent: Bool
    /// Bytes consumed by the head, including skipped leading CRLFs and the final CRLFCRLF.
    public var headLength: Int

    /// An empty head (method `.other`, HTTP/1.1, no fields, no body), filled in by the
    /// parser; public so callers can build heads in tests.
    @inlinable
    public init() {
        method = .other
        methodStart = 0
        methodLength = 0
        targetStart = 0
        targetLength = 0
        version = .http11
        headerCount = 0
        framing = .none
        keepAlive = true
        connectionClose = false
        expectContinue = false
        hostPresent = false
        headLength = 0
    }

    /// The request-target's bytes inside `buffer`, the buffer this head was parsed from.
    @inlinable
    public func target(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[Int(targetStart)..<Int(targetStart) + Int(targetLength)])
    }

    /// The method token's bytes inside `buffer`, for logging `.other` methods.
    @inlinable
    public func methodName(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[Int(methodStart)..<Int(methodStart) + Int(methodLength)])
    }
}
