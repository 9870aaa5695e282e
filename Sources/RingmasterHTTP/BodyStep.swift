// The outcome of one `BodyDecoder.decode` call.

/// What one decode call consumed and which body bytes it found.
public struct BodyStep: Sendable, Equatable {
    /// Bytes consumed from the start of the buffer (framing and data).
    public var consumed: Int
    /// Offset of the body data span inside the buffer (0 when there is none).
    public var dataStart: Int
    /// Length of the body data span (0 when the call found no data).
    public var dataLength: Int
    /// The decoder's state after the call.
    public var state: BodyState

    /// Creates a step.
    @inlinable
    public init(consumed: Int, dataStart: Int, dataLength: Int, state: BodyState) {
        self.consumed = consumed
        self.dataStart = dataStart
        self.dataLength = dataLength
        self.state = state
    }
}
