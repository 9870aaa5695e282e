// The outcome of one `ByteRange.parse` call.

/// What to do with a request's `Range` field.
public enum ByteRangeResult: Sendable, Equatable {
    /// Serve this part with 206 and `Content-Range: bytes first-last/length`.
    case satisfiable(ByteRange)
    /// Answer 416 with `Content-Range: bytes */length` (RFC 9110 §15.5.17).
    case unsatisfiable
    /// Serve the whole representation with 200, as if there were no `Range` field.
    case ignore
}
