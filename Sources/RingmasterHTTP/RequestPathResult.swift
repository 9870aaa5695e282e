// The outcome of one `RequestPath.parse` call.

/// A normalised path, or the reason the request-target was refused.
public enum RequestPathResult: Sendable, Equatable {
    /// The path was written to the caller's buffer.
    case normalized(RequestPath)
    /// The request-target must not be served; answer with `rejection.status`.
    case rejected(RequestPathRejection)
}
