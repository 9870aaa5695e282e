// ASCII byte classes and small comparisons shared by the parser, the body decoder and
// routing code. Classes are bit masks over the 128 ASCII codes, so a test is a shift and
// an AND with no table in memory and no allocation.

/// Case-insensitive comparison, decimal parsing and the RFC 9110 byte classes.
public enum ASCII {
    /// Whether `a` equals the ASCII literal `b`, ignoring the case of letters.
    ///
    /// Only ASCII letters fold; every other byte must match exactly.
    @inlinable
    public static func equalsCaseInsensitive(_ a: UnsafeRawBufferPointer, _ b: StaticString) -> Bool {
        let count = b.utf8CodeUnitCount
        guard a.count == count else { return false }
        let expected = b.utf8Start
        for index in 0..<count where lowercased(a[index]) != lowercased(expected[index]) {
            return false
        }
        return true
    }

    /// Parses `1*DIGIT` as an unsigned decimal.
    ///
    /// Returns nil for an empty buffer, any byte that is not a digit, or a value that
    /// does not fit in UInt64.
    @inlinable
    public static func parseDecimal(_ a: UnsafeRawBufferPointer) -> UInt64? {
        guard !a.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in a {
            // Safe: a UInt8 below "0" wraps to a large value, so one compare checks both ends.
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflowA && !overflowB else { return nil }
            value = sum
        }
        return value
    }

    /// `byte` with an ASCII capital letter mapped to lowercase; other bytes unchanged.
    @inlinable
    public static func lowercased(_ byte: UInt8) -> UInt8 {
        // Safe: a UInt8 below "A" wraps to a large value, so one compare checks both ends.
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// Whether `byte` is in the class given by two 64-bit masks over ASCII codes 0–127.
    @inlinable @inline(__always)
    static func inClass(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        // Written without branches on the byte (a select and a bit test), since these
        // checks sit in the parser's per-byte loops.
        let mask = byte < 64 ? low : high
        return byte < 128 && (mask >> UInt64(byte & 63)) & 1 != 0
    }

    /// `tchar` (RFC 9110 §5.6.2): the bytes of a token such as a method or field name.
    @inlinable @inline(__always)
    public static func isTokenChar(_ byte: UInt8) -> Bool {
        inClass(byte, low: 0x03FF_6CFA_0000_0000, high: 0x57FF_FFFF_C7FF_FFFE)
    }

    /// reg-name bytes other than `%` (RFC 3986 §3.2.2): unreserved / sub-delims.
    @inlinable @inline(__always)
    static func isRegNameChar(_ byte: UInt8) -> Bool {
        inClass(byte, low: 0x2BFF_7FD2_0000_0000, high: 0x47FF_FFFE_87FF_FFFE)
    }

    /// `HEXDIG` (RFC 5234 appendix B.1, case-insensitive as in RFC 9112 §7.1).
    @inlinable @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool {
        inClass(byte, low: 0x03FF_0000_0000_0000, high: 0x0000_007E_0000_007E)
    }

    /// `DIGIT`.
    @inlinable @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        // Safe: a UInt8 below "0" wraps to a large value, so one compare checks both ends.
        byte &- UInt8(ascii: "0") < 10
    }

    /// The value of a hex digit already checked with `isHexDigit`.
    @inlinable @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt64 {
        // Safe: callers pass only hex digits, so each subtraction stays within 0...15.
        if byte <= UInt8(ascii: "9") { return UInt64(byte &- UInt8(ascii: "0")) }
        // Safe: as above; `| 0x20` maps "A"..."F" onto "a"..."f".
        return UInt64((byte | 0x20) &- UInt8(ascii: "a") &+ 10)
    }

    /// Field-value bytes (RFC 9110 §5.5): HTAB, SP, VCHAR and obs-text; excludes NUL,
    /// the other controls and DEL.
    @inlinable @inline(__always)
    public static func isFieldValueChar(_ byte: UInt8) -> Bool {
        (byte >= 0x20 && byte != 0x7F) || byte == 0x09
    }
}
