// Entity-tags for static files (RFC 9110 §8.8.3) and the If-None-Match precondition
// (§13.1.2). The tag is derived from file metadata, not content, so producing it costs
// no read; comparing it walks the field value once without allocating.

/// Builds a file's entity-tag and evaluates `If-None-Match` against it.
public enum EntityTag {
    /// The longest tag `write` produces: quotes, 16 + 8 + 16 hex digits, `.` and `-`.
    public static let maxLength = 44

    /// The result of evaluating `If-None-Match`.
    public enum Match: Sendable, Equatable {
        /// A listed tag (or `*`) matches: the condition is false, so GET/HEAD get 304.
        case match
        /// Nothing matches, or the field is malformed: serve the representation.
        case noMatch
    }

    /// Writes the strong tag for a file of `size` bytes last modified at
    /// `modificationSeconds` + `modificationNanoseconds`; returns its length, or nil
    /// when `output` is too small (nothing is written past it).
    ///
    /// The form is nginx's `"<hex mtime>-<hex size>"` when the nanoseconds are zero, so a
    /// cache that validated against nginx keeps validating after a switch on file systems
    /// with whole-second times; otherwise `"<hex mtime>.<hex nanoseconds>-<hex size>"`, so
    /// two same-size writes within one second still change the tag. A pre-1970 mtime is
    /// written as its two's-complement bit pattern. Like nginx's, the tag is called
    /// strong on the grounds that a file that changes gets a new mtime (§8.8.1).
    public static func write(
        size: UInt64,
        modificationSeconds: Int64,
        modificationNanoseconds: UInt32,
        into output: UnsafeMutableRawBufferPointer
    ) -> Int? {
        var writer = ByteWriter(output)
        writer.append("\"")
        writer.appendHex(UInt64(bitPattern: modificationSeconds))
        if modificationNanoseconds != 0 {
            writer.append(".")
            writer.appendHex(UInt64(modificationNanoseconds))
        }
        writer.append("-")
        writer.appendHex(size)
        writer.append("\"")
        return writer.overflowed ? nil : writer.count
    }

    /// Evaluates an `If-None-Match` field value against the `current` tag (with its
    /// quotes, optionally `W/`-prefixed) using the weak comparison of §8.8.3.2, as
    /// §13.1.2 requires: `W/"x"` matches `"x"`.
    ///
    /// Grammar (§13.1.2, §8.8.3): `"*" / #entity-tag`, `entity-tag = [ "W/" ] DQUOTE
    /// *etagc DQUOTE`. Empty list elements and OWS around commas are accepted (§5.6.1).
    /// `*` matches, because the caller only asks when the file exists. A malformed value
    /// is `noMatch`: ignoring a precondition we cannot read costs a full response, while
    /// guessing could wrongly send 304. Several field lines form one list (§5.3), so the
    /// caller may evaluate each and treat any match as a match.
    public static func evaluateIfNoneMatch(
        _ fieldValue: UnsafeRawBufferPointer,
        current: UnsafeRawBufferPointer
    ) -> Match {
        let currentOpaque = opaqueTag(current)
        let value = trimmed(fieldValue)
        if value.count == 1 && value[0] == UInt8(ascii: "*") { return .match }
        var matched = false
        var index = 0
        while true {
            while index < value.count && (isOWS(value[index]) || value[index] == UInt8(ascii: ",")) { index += 1 }
            if index == value.count { break }
            guard let end = scanTag(value, from: index) else { return .noMatch }
            let tag = opaqueTag(UnsafeRawBufferPointer(rebasing: value[index..<end]))
            if !matched && equal(tag, currentOpaque) { matched = true }
            index = end
            while index < value.count && isOWS(value[index]) { index += 1 }
            guard index == value.count || value[index] == UInt8(ascii: ",") else { return .noMatch }
        }
        return matched ? .match : .noMatch
    }

    /// The end (exclusive) of the entity-tag starting at `start`, or nil if the bytes
    /// there are not `[ "W/" ] DQUOTE *etagc DQUOTE`. `W/` is case-sensitive (§8.8.3).
    static func scanTag(_ value: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        if value[index] == UInt8(ascii: "W") {
            guard index + 1 < value.count, value[index + 1] == UInt8(ascii: "/") else { return nil }
            index += 2
        }
        guard index < value.count, value[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        while index < value.count && value[index] != UInt8(ascii: "\"") {
            // etagc = %x21 / %x23-7E / obs-text: no controls, space or DEL.
            let byte = value[index]
            guard byte > 0x20 && byte != 0x7F else { return nil }
            index += 1
        }
        guard index < value.count else { return nil }
        return index + 1
    }

    /// `tag` without a leading `W/`: the opaque-tag, quotes included.
    static func opaqueTag(_ tag: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if tag.count >= 2 && tag[0] == UInt8(ascii: "W") && tag[1] == UInt8(ascii: "/") {
            return UnsafeRawBufferPointer(rebasing: tag[2...])
        }
        return tag
    }

    /// `value` without leading and trailing SP and HTAB.
    static func trimmed(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = value.count
        while start < end && isOWS(value[start]) { start += 1 }
        while end > start && isOWS(value[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: value[start..<end])
    }

    /// Whether `byte` is SP or HTAB (OWS, RFC 9110 §5.6.3).
    @inline(__always)
    static func isOWS(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// Byte-for-byte equality; opaque-tags compare case-sensitively (§8.8.3.2).
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where a[index] != b[index] { return false }
        return true
    }
}
