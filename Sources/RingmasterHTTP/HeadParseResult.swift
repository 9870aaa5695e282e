// The outcome of one `RequestParser.parseHead` call.

/// The result of parsing a request head from the start of a buffer.
public enum HeadParseResult: Sendable {
    /// A full head was parsed; `RequestHead.headLength` bytes were consumed.
    case complete(RequestHead)
    /// Every byte seen so far is a valid prefix of a request head; call again with more.
    case needMore
    /// The bytes are definitely not a valid request head: answer with this status and close.
    case error(HTTPStatus)
}
