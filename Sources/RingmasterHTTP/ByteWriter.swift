// A bounds-checked cursor over caller memory, used by ResponseWriter so that running out
// of space is a flag to test at the end rather than a check at every call site.

/// Appends bytes to a fixed buffer; once something does not fit, nothing more is written.
public struct ByteWriter {
    /// The destination.
    public let out: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public internal(set) var count = 0
    /// Set when an append did not fit; later appends are ignored.
    public internal(set) var overflowed = false

    /// Starts writing at the beginning of `out`.
    public init(_ out: UnsafeMutableRawBufferPointer) {
        self.out = out
    }

    /// Appends raw bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !overflowed, bytes.count <= out.count - count else {
            overflowed = true
            return
        }
        if let source = bytes.baseAddress, let destination = out.baseAddress, !bytes.isEmpty {
            (destination + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// Appends the bytes of an ASCII literal.
    public mutating func append(_ literal: StaticString) {
        append(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends `value` in decimal without leading zeros.
    public mutating func appendDecimal(_ value: UInt64) {
        // 20 digits hold UInt64.max; digits are produced backwards into a stack tuple.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { scratch in
            var position = scratch.count
            var rest = value
            repeat {
                position -= 1
                scratch[position] = UInt8(truncatingIfNeeded: rest % 10) + UInt8(ascii: "0")
                rest /= 10
            } while rest > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[position...]))
        }
    }

    /// Appends a client address as text (`ClientAddress.write`).
    public mutating func appendAddress(_ address: ClientAddress) {
        guard !overflowed, out.count - count >= ClientAddress.maxTextLength, let base = out.baseAddress else {
            overflowed = true
            return
        }
        count += address.write(into: base + count)
    }
}
