// A write position in caller memory for access log lines. Unchecked: every caller reserves
// the most its line can take first (`AccessLogLine.maxLength`), so a line is never checked
// byte by byte. No String, no Array: formatting a line never allocates.

/// Appends bytes at a raw pointer and counts them.
struct LogCursor {
    let start: UnsafeMutableRawPointer
    /// Bytes written so far.
    var count = 0

    init(_ start: UnsafeMutableRawPointer) { self.start = start }

    /// Where the next byte goes, for a writer that returns its length (`advance`).
    @inline(__always) var position: UnsafeMutableRawPointer { start + count }

    @inline(__always)
    mutating func advance(_ n: Int) { count += n }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        start.storeBytes(of: value, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    mutating func literal(_ text: StaticString) {
        (start + count).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func bytes(_ source: UnsafeRawPointer, count n: Int) {
        if n > 0 { (start + count).copyMemory(from: source, byteCount: n) }
        count += n
    }

    /// `value` in decimal without leading zeros.
    mutating func decimal(_ value: UInt64) {
        var digits = 1
        var scale: UInt64 = 1
        // The largest power of ten not above `value` (19 steps at most for UInt64).
        while value / scale >= 10 {
            scale *= 10
            digits += 1
        }
        var rest = value
        while digits > 0 {
            byte(UInt8(truncatingIfNeeded: rest / scale) + UInt8(ascii: "0"))
            rest %= scale
            scale /= 10
            digits -= 1
        }
    }

    /// `value` (0...99) as two digits.
    @inline(__always)
    mutating func twoDigits(_ value: Int) {
        byte(UInt8(truncatingIfNeeded: value / 10) + UInt8(ascii: "0"))
        byte(UInt8(truncatingIfNeeded: value % 10) + UInt8(ascii: "0"))
    }

    /// An upper-case hex digit for `nibble` (0...15).
    @inline(__always)
    mutating func hexDigit(_ nibble: UInt8) {
        byte(nibble < 10 ? nibble + UInt8(ascii: "0") : nibble - 10 + UInt8(ascii: "A"))
    }
}
