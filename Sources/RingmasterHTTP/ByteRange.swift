// Single byte-range requests (RFC 9110 §14.1.2, §14.2) and the Content-Range value
// (§14.4). Numbers saturate instead of overflowing, so a hostile `bytes=99999…-` is
// simply past the end rather than a wrapped small offset.

/// An inclusive byte range `first...last` within a representation.
///
/// Scope: one range per request. A multi-range request gets the full 200, which §14.2
/// allows (a server MAY ignore Range) and which avoids multipart/byteranges and the
/// amplification of many overlapping ranges. `If-Range` (§13.1.5) is not evaluated
/// here: a caller that sees it should ignore `Range` and send 200, which is always a
/// correct answer and never mixes two versions of a file.
public struct ByteRange: Sendable, Equatable {
    /// Offset of the first byte.
    public var first: UInt64
    /// Offset of the last byte (inclusive), >= `first`.
    public var last: UInt64

    /// The range `first...last`; `last` must not be less than `first`.
    public init(first: UInt64, last: UInt64) {
        precondition(first <= last, "a byte range is never empty")
        self.first = first
        self.last = last
    }

    /// The number of bytes in the range.
    public var count: UInt64 {
        // Safe: first <= last, and a range inside a representation is shorter than UInt64.max.
        last &- first &+ 1
    }

    /// Evaluates a `Range` field value against a representation of `length` bytes.
    ///
    /// - `bytes=0-499`, `bytes=500-` and `bytes=-500` (the last 500) are understood; a
    ///   last-pos past the end is clamped, and a suffix longer than the representation
    ///   selects all of it (§14.1.2).
    /// - `.unsatisfiable` when first-pos >= `length`, or for `bytes=-0` (§14.1.1: only a
    ///   non-zero suffix-length is satisfiable).
    /// - `.ignore` for another unit (§14.2: MUST ignore), several ranges (see the type),
    ///   and anything malformed or invalid such as `bytes=5-2` (§14.2: MAY ignore). Also
    ///   for a non-zero suffix on an empty representation: §14.1.1 calls it satisfiable,
    ///   but its range is empty and `Content-Range` cannot express an empty range, so
    ///   the whole (empty) representation is sent with 200.
    /// The unit is case-insensitive (§14.1); OWS is allowed around the value and commas.
    public static func parse(_ fieldValue: UnsafeRawBufferPointer, length: UInt64) -> ByteRangeResult {
        let value = EntityTag.trimmed(fieldValue)
        guard value.count > 6, ASCII.equalsCaseInsensitive(UnsafeRawBufferPointer(rebasing: value[0..<5]), "bytes"),
            value[5] == UInt8(ascii: "=")
        else { return .ignore }
        guard let spec = onlyElement(UnsafeRawBufferPointer(rebasing: value[6...])) else { return .ignore }
        var dash = 0
        while dash < spec.count && spec[dash] != UInt8(ascii: "-") { dash += 1 }
        guard dash < spec.count else { return .ignore }
        let after = UnsafeRawBufferPointer(rebasing: spec[(dash + 1)...])
        if dash == 0 {
            guard let suffix = parseSaturating(after) else { return .ignore }
            if suffix == 0 { return .unsatisfiable }
            if length == 0 { return .ignore }
            // Safe: min(suffix, length) <= length, and length >= 1.
            return .satisfiable(ByteRange(first: length &- min(suffix, length), last: length &- 1))
        }
        guard let first = parseSaturating(UnsafeRawBufferPointer(rebasing: spec[0..<dash])) else { return .ignore }
        var last = UInt64.max
        if !after.isEmpty {
            guard let value = parseSaturating(after) else { return .ignore }
            last = value
        }
        guard first <= last else { return .ignore }
        guard first < length else { return .unsatisfiable }
        // Safe: length > first >= 0, so length >= 1.
        return .satisfiable(ByteRange(first: first, last: min(last, length &- 1)))
    }

    /// The single non-empty element of a comma-separated list, trimmed of OWS; nil
    /// when there are none or several (RFC 9110 §5.6.1 empty elements are skipped).
    static func onlyElement(_ list: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var found: UnsafeRawBufferPointer?
        var start = 0
        while start <= list.count {
            var end = start
            while end < list.count && list[end] != UInt8(ascii: ",") { end += 1 }
            let element = EntityTag.trimmed(UnsafeRawBufferPointer(rebasing: list[start..<end]))
            if !element.isEmpty {
                if found != nil { return nil }
                found = element
            }
            start = end + 1
        }
        return found
    }

    /// Parses `1*DIGIT`, saturating at UInt64.max; nil for an empty or non-digit value.
    static func parseSaturating(_ digits: UnsafeRawBufferPointer) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard ASCII.isDigit(byte) else { return nil }
            let (times10, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            value = overflowA || overflowB ? UInt64.max : sum
        }
        return value
    }

    /// Writes the `Content-Range` field value `bytes first-last/length` (§14.4) for a 206;
    /// returns its length, or nil if `output` is too small.
    public func writeContentRange(length: UInt64, into output: UnsafeMutableRawBufferPointer) -> Int? {
        var writer = ByteWriter(output)
        writer.append("bytes ")
        writer.appendDecimal(first)
        writer.append("-")
        writer.appendDecimal(last)
        writer.append("/")
        writer.appendDecimal(length)
        return writer.overflowed ? nil : writer.count
    }

    /// Writes the `Content-Range` field value `bytes */length` that a 416 carries
    /// (§15.5.17); returns its length, or nil if `output` is too small.
    public static func writeUnsatisfiedContentRange(length: UInt64, into output: UnsafeMutableRawBufferPointer) -> Int? {
        var writer = ByteWriter(output)
        writer.append("bytes */")
        writer.appendDecimal(length)
        return writer.overflowed ? nil : writer.count
    }
}
