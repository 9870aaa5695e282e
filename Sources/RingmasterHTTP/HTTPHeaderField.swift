// A header field as offsets into the receive buffer: the parser never copies names or
// values, so a request head costs no allocation.

/// One header field as offsets into the buffer that was parsed (zero-copy).
///
/// The value is trimmed of leading and trailing OWS (SP / HTAB, RFC 9112 §5).
public struct HTTPHeaderField: Sendable {
    /// Offset of the first byte of the field name.
    public var nameStart: UInt32
    /// Length of the field name in bytes (never zero in a parsed field).
    public var nameLength: UInt32
    /// Offset of the first byte of the trimmed field value.
    public var valueStart: UInt32
    /// Length of the trimmed field value in bytes (may be zero).
    public var valueLength: UInt32

    /// A field with all offsets zero, for preparing caller-supplied storage.
    @inlinable
    public init() {
        nameStart = 0
        nameLength = 0
        valueStart = 0
        valueLength = 0
    }

    /// Creates a field from offsets; used by the parser.
    @inlinable
    init(nameStart: Int, nameLength: Int, valueStart: Int, valueLength: Int) {
        self.nameStart = UInt32(truncatingIfNeeded: nameStart)
        self.nameLength = UInt32(truncatingIfNeeded: nameLength)
        self.valueStart = UInt32(truncatingIfNeeded: valueStart)
        self.valueLength = UInt32(truncatingIfNeeded: valueLength)
    }

    /// The field name's bytes inside `buffer`, the buffer this field was parsed from.
    @inlinable
    public func name(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[Int(nameStart)..<Int(nameStart) + Int(nameLength)])
    }

    /// The trimmed field value's bytes inside `buffer`, the buffer this field was parsed from.
    @inlinable
    public func value(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[Int(valueStart)..<Int(valueStart) + Int(valueLength)])
    }
}
