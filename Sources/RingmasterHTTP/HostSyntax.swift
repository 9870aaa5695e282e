// Validation of the Host field value (RFC 9112 §3.2, RFC 9110 §7.2): uri-host [ ":" port ]
// with uri-host from RFC 3986 §3.2.2.

/// Syntax check for Host field values.
enum HostSyntax {
    /// Whether the `count` bytes at `p` form `uri-host [ ":" port ]`.
    ///
    /// An empty value is accepted: RFC 9112 §3.2 requires it when the request-target has
    /// no authority, and origin-form targets never do. IP literals are checked loosely
    /// (brackets around unreserved / sub-delims / ":"), enough to keep whitespace, "/",
    /// "@" and controls out.
    static func isValid(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        if count == 0 { return true }
        var i = 0
        if p[0] == UInt8(ascii: "[") {
            // IP-literal = "[" ( IPv6address / IPvFuture ) "]"
            i = 1
            while i < count && p[i] != UInt8(ascii: "]") {
                guard ASCII.isRegNameChar(p[i]) || p[i] == UInt8(ascii: ":") else { return false }
                i += 1
            }
            guard i < count, i > 1 else { return false }
            i += 1
        } else {
            // reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4 is a subset. The
            // inner loop runs over plain reg-name bytes with one class test each; only a
            // "%" or the port's ":" leaves it (this check ran for every request, at 13
            // instructions per byte when each byte was also compared with both).
            while i < count {
                while i < count && ASCII.isRegNameChar(p[i]) { i += 1 }
                guard i < count, p[i] == UInt8(ascii: "%") else { break }
                guard i + 2 < count, ASCII.isHexDigit(p[i + 1]), ASCII.isHexDigit(p[i + 2]) else {
                    return false
                }
                i += 3
            }
        }
        if i == count { return true }
        // port = *DIGIT
        guard p[i] == UInt8(ascii: ":") else { return false }
        i += 1
        while i < count {
            guard ASCII.isDigit(p[i]) else { return false }
            i += 1
        }
        return true
    }
}
