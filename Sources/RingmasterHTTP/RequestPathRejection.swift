// Why a request-target was refused for file serving. Every case is an attempt, or a
// client bug, that a file server must not try to interpret charitably.

/// The reason `RequestPath.parse` refused a request-target.
public enum RequestPathRejection: UInt8, Error, Sendable {
    /// Not origin-form and not an `http`/`https` absolute-form with a non-empty host:
    /// asterisk-form `*`, authority-form, another scheme (RFC 9112 §3.2).
    case notOriginForm
    /// A `%` not followed by two hex digits (RFC 3986 §2.1).
    case invalidPercentEncoding
    /// `%2F` inside a segment. Decoding it would turn one segment into two after the dot
    /// segments were resolved, so `/a/%2F..%2Fb` could climb a level; nginx and Apache
    /// (`AllowEncodedSlashes Off`) refuse it too.
    case encodedSlash
    /// A backslash, raw or `%5C`. Not a URI character (RFC 3986 §2); WHATWG URL parsing
    /// treats it as `/`, so a proxy in front of us may see a different path than we do.
    case backslash
    /// A control byte (0x00–0x1F, 0x7F), raw or percent-encoded; `%00` would truncate
    /// the path at the C string boundary of `open(2)`.
    case controlCharacter
    /// A raw `#` in the path: a fragment is never part of a request-target (RFC 9112 §3.2).
    case fragment
    /// A `..` segment at the root. Refused rather than clamped: a client that follows
    /// RFC 3986 never sends one (§5.2.4 removes them before sending), so it is an attack
    /// or a bug, and clamping would serve a different file than the one named.
    case aboveRoot
    /// The normalised path does not fit the caller's buffer.
    case tooLong

    /// The status to answer with: 414 for `tooLong`, 400 for everything else.
    public var status: HTTPStatus {
        self == .tooLong ? .uriTooLong : .badRequest
    }
}
