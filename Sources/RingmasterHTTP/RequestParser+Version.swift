// Recognition of the HTTP-version at the end of the request line (RFC 9112 §2.3).

extension RequestParser {
    /// What the eight version bytes of a request line say.
    enum VersionCode {
        /// Fewer than eight bytes, all consistent with `"HTTP/" DIGIT "." DIGIT`.
        case incomplete
        /// Not of the form `"HTTP/" DIGIT "." DIGIT`: 400.
        case invalid
        /// Exactly HTTP/1.0.
        case http10
        /// Exactly HTTP/1.1.
        case http11
        /// Well-formed but another version: 505 (RFC 9110 §15.6.6).
        case unsupported
    }

    /// Classifies the version at `p`, of which `available` bytes are in the buffer.
    ///
    /// HTTP/1.2 and up are answered 505 rather than processed as 1.1 (the RFC 9110 §2.5
    /// SHOULD): no such version exists, and a client sending one is not one we serve.
    @inline(__always)
    static func parseVersion(_ p: UnsafePointer<UInt8>, available: Int) -> VersionCode {
        if available >= 8 {
            // "HTTP/1.1" and "HTTP/1.0" read as little-endian 64-bit words.
            let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            if word == 0x312E_312F_5054_5448 { return .http11 }
            if word == 0x302E_312F_5054_5448 { return .http10 }
        }
        // Slow path: validate byte by byte, so a prefix of a valid version is incomplete.
        let pattern: StaticString = "HTTP/0.0"
        let checked = min(available, 8)
        for k in 0..<checked {
            let byte = p[k]
            let ok = (k == 5 || k == 7) ? ASCII.isDigit(byte) : byte == pattern.utf8Start[k]
            if !ok { return .invalid }
        }
        return checked < 8 ? .incomplete : .unsupported
    }
}
