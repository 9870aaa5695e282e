// The protocol versions Ringmaster speaks. HTTP/0.9 and HTTP/2+ are answered with 505
// by the parser (RFC 9110 §15.6.6) and never reach this type.

/// The HTTP version of a parsed request: only 1.0 and 1.1 are accepted.
public enum HTTPVersion: UInt8, Sendable {
    case http10, http11
}
