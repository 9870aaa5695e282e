// Where a body decoder stands after one `decode` call.

/// The state of a request body after a decode step.
public enum BodyState: Sendable, Equatable {
    /// The body is not finished: feed more bytes.
    case more
    /// The body is finished; any remaining bytes belong to the next request.
    case done
    /// The body framing is invalid: answer with this status and close.
    case error(HTTPStatus)
}
