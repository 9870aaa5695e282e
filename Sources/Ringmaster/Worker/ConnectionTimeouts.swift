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

    public init(idle: UInt8 = 60, header: UInt8 = 10, body: UInt8 = 30, write: UInt8 = 30) {
        self.idle = idle
        self.header = header
        self.body = body
        self.write = write
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
        }
    }
}
