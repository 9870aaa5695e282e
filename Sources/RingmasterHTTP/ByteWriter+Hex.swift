// Lowercase hexadecimal output for ByteWriter, used by entity-tags.

extension ByteWriter {
    /// Appends `value` in lowercase hexadecimal without leading zeros ("0" for zero).
    mutating func appendHex(_ value: UInt64) {
        // 16 digits hold UInt64.max; digits are produced backwards into a stack tuple.
        var digits: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &digits) { scratch in
            let alphabet: StaticString = "0123456789abcdef"
            var position = scratch.count
            var rest = value
            repeat {
                position -= 1
                scratch[position] = alphabet.utf8Start[Int(truncatingIfNeeded: rest & 0xF)]
                rest >>= 4
            } while rest > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[position...]))
        }
    }
}
