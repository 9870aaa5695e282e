// The request methods Ringmaster distinguishes. Recognition works on the raw method
// token in the receive buffer, so classifying a method never allocates.

/// Request methods Ringmaster distinguishes; anything else valid as a token is `.other`.
///
/// Method names are case-sensitive (RFC 9110 §9.1), so `get` is `.other`, not `.get`.
public enum HTTPMethod: UInt8, Sendable {
    case get, head, post, put, delete, options, patch, trace, connect, other

    /// Classifies the method token at `start` of length `length`, which the caller has
    /// already validated as a `token` (RFC 9110 §5.6.2). Compares exact bytes.
    @inlinable
    static func classify(_ start: UnsafePointer<UInt8>, length: Int) -> HTTPMethod {
        switch length {
        case 3:
            if start[0] == UInt8(ascii: "G") && start[1] == UInt8(ascii: "E") && start[2] == UInt8(ascii: "T") {
                return .get
            }
            if start[0] == UInt8(ascii: "P") && start[1] == UInt8(ascii: "U") && start[2] == UInt8(ascii: "T") {
                return .put
            }
        case 4:
            if matches(start, "HEAD") { return .head }
            if matches(start, "POST") { return .post }
        case 5:
            if matches(start, "PATCH") { return .patch }
            if matches(start, "TRACE") { return .trace }
        case 6:
            if matches(start, "DELETE") { return .delete }
        case 7:
            if matches(start, "OPTIONS") { return .options }
            if matches(start, "CONNECT") { return .connect }
        default:
            break
        }
        return .other
    }

    /// Exact byte comparison of `literal.utf8CodeUnitCount` bytes at `start`.
    @inlinable
    static func matches(_ start: UnsafePointer<UInt8>, _ literal: StaticString) -> Bool {
        let expected = literal.utf8Start
        for index in 0..<literal.utf8CodeUnitCount where start[index] != expected[index] {
            return false
        }
        return true
    }
}
