// How the length of a request body is determined (RFC 9112 §6.3), decided once per
// request head and handed to `BodyDecoder`.

/// How a request body is delimited.
public enum BodyFraming: Equatable, Sendable {
    /// No body (neither Content-Length nor Transfer-Encoding; RFC 9112 §6.3 item 7).
    case none
    /// A body of exactly this many bytes (RFC 9112 §6.3 item 6). Zero is kept as zero.
    case contentLength(UInt64)
    /// A chunked body (RFC 9112 §7.1), decoded until the last chunk and trailer section.
    case chunked
}
