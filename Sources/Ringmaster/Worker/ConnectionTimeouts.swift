// How long a connection may sit in each state, in seconds (timing-wheel ticks, 1...253).

/// Per-state connection timeouts.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// Keep-alive connection with no request in progress.
    public var idle: UInt8 = 60
    /// From the first byte of a request head to its end.
    public var header: UInt8 = 10
    /// Between reads while a request body is incomplete.
    public var body: UInt8 = 30
    /// Without progress on a send.
    public var write: UInt8 = 30
    /// Lingering close: how long a connection whose last response is sent keeps reading (and
    /// dropping) what the client still sends, so the client reads that response before the
    /// close (nginx's lingering_time); 0 closes at once.
    public var linger: UInt8 = 5
    /// Lingering close: bytes dropped at most before the connection is cut anyway.
    public var lingerBytes: UInt32 = 16 << 20
    /// From accept to a finished TLS handshake (TLS listeners only).
    public var handshake: UInt8 = 10

    public init(idle: UInt8 = 60, header: UInt8 = 10, body: UInt8 = 30, write: UInt8 = 30, linger: UInt8 = 5, lingerBytes: UInt32 = 16 << 20) {
        self.idle = idle
        self.header = header
        self.body = body
        self.write = write
        self.linger = linger
        self.lingerBytes = lingerBytes
    }

    /// Seconds for `kind`.
    @inline(__always)
    public func seconds(_ kind: TimerKind) -> UInt8 {
        switch kind {
        case .none: return 0
        case .idle: return idle
        case .header: return header
        case .body: return body
        case .write: return write
        case .linger: return linger
        case .handshake: return handshake
        }
    }
}
