// Word-at-a-time scanning of request-targets and field values, the two long runs in a
// request head. Eight bytes are tested at once with the classic SWAR bit tricks
// ("Bit Twiddling Hacks", hasless/haszero); a word that contains a byte of interest is
// re-scanned byte by byte to find it. Loads are unaligned and never pass `end`.

extension RequestParser {
    /// 0x01 in every byte.
    static let ones: UInt64 = 0x0101_0101_0101_0101
    /// 0x80 in every byte.
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes at `p` as a little-endian word.
    @inline(__always)
    static func word(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
    }

    /// Whether some byte of `x` is below `n` (1...128). Exact as an existence test: a
    /// borrow can only spread from a byte that is itself below `n`.
    @inline(__always)
    static func hasByteBelow(_ x: UInt64, _ n: UInt8) -> Bool {
        // Safe: the subtraction's wrap-around and borrows are what the trick measures.
        (x &- ones &* UInt64(n)) & ~x & highs != 0
    }

    /// Whether some byte of `x` is DEL (0x7F).
    @inline(__always)
    static func hasDelete(_ x: UInt64) -> Bool {
        // Safe: 0x01 * 0x7F in every byte cannot carry between bytes.
        return hasByteBelow(x ^ (ones &* 0x7F), 1)
    }

    /// Index of the first byte in `start..<end` that is not request-target material
    /// (visible ASCII 0x21...0x7E, RFC 9112 §3.2), or `end`.
    @inline(__always)
    static func scanTarget(_ p: UnsafePointer<UInt8>, from start: Int, end: Int) -> Int {
        var i = start
        while true {
            while end - i >= 8 {
                let x = word(p + i)
                // A byte >= 0x7F has its high bit set in x, or in (x & 0x7F..) + 1.
                // Safe: (b & 0x7F) + 1 <= 0x80, so no carry crosses a byte.
                let high = (((x & ~highs) &+ ones) | x) & highs
                if high != 0 || hasByteBelow(x, 0x21) { break }
                i += 8
            }
            let stop = min(i + 8, end)
            while i < stop {
                // Safe: bytes below "!" wrap to large values, so one compare checks 0x21...0x7E.
                guard p[i] &- 0x21 < 0x5E else { return i }
                i += 1
            }
            if i == end { return i }
        }
    }

    /// Index of the first byte in `start..<end` that is not field-value material
    /// (HTAB, SP, VCHAR, obs-text; RFC 9110 §5.5), or `end`.
    @inline(__always)
    static func scanFieldValue(_ p: UnsafePointer<UInt8>, from start: Int, end: Int) -> Int {
        var i = start
        while true {
            while end - i >= 8 {
                let x = word(p + i)
                // Controls (including HTAB, re-checked below) and DEL stop the fast loop.
                if hasByteBelow(x, 0x20) || hasDelete(x) { break }
                i += 8
            }
            let stop = min(i + 8, end)
            while i < stop {
                let byte = p[i]
                guard (byte >= 0x20 && byte != 0x7F) || byte == 0x09 else { return i }
                i += 1
            }
            if i == end { return i }
        }
    }
}
