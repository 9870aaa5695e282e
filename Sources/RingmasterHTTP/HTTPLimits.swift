// Size limits that bound the parser's work and memory per connection. Each limit maps
// to the status code the RFC assigns to exceeding it.

/// Per-request limits applied by `RequestParser` and `BodyDecoder`.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, excluding its CRLF; longer lines get 414 (RFC 9112 §3).
    public var maxRequestLine: Int
    /// Longest request head including the request line, any skipped leading empty lines
    /// and the final empty line; longer heads get 431 (RFC 6585 §5).
    public var maxHeaderBytes: Int
    /// Most header fields in one head; more get 431 (RFC 6585 §5).
    public var maxHeaderCount: Int
    /// Largest request body (Content-Length or chunked total); larger bodies get 413
    /// (RFC 9110 §15.5.14).
    public var maxBodyBytes: UInt64

    /// Creates limits; the defaults suit a static-file and small-API server.
    public init(
        maxRequestLine: Int = 8192,
        maxHeaderBytes: Int = 16384,
        maxHeaderCount: Int = 100,
        maxBodyBytes: UInt64 = 1 << 20
    ) {
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
