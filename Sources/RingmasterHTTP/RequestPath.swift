// Turns a request-target into the path a file server may join to its root: the query is
// split off, the path is percent-decoded exactly once, dot segments are resolved (RFC 3986
// §5.2.4) and empty segments dropped. The result can never name anything above the root,
// because a `..` that would climb past it is refused. One pass, no allocation: the decoded
// bytes go straight into caller memory and `..` rewinds the write position.

/// A normalised request path, written by `parse(_:into:)` into the caller's buffer.
///
/// The bytes always start with `/`, contain no empty, `.` or `..` segments, no NUL or
/// other control byte, and no backslash. Bytes 0x80 and above pass through unchanged:
/// Linux file names are bytes, so no UTF-8 validation is done here.
public struct RequestPath: Sendable, Equatable {
    /// Number of path bytes written to the output buffer, including the leading `/`.
    public var length: Int
    /// Whether the path ends in `/` (including the root `/` itself), meaning a
    /// directory was asked for and the server should look for its index file.
    public var trailingSlash: Bool
    /// The query's offsets in the request-target, without the `?`; nil when there is
    /// no `?`, an empty range for a bare `?`. The query is left encoded.
    public var query: Range<Int>?

    /// Creates a path description; `parse(_:into:)` is the way to get a real one.
    public init(length: Int, trailingSlash: Bool, query: Range<Int>?) {
        self.length = length
        self.trailingSlash = trailingSlash
        self.query = query
    }

    /// Decodes and normalises the path of `target` into `output`.
    ///
    /// Accepts origin-form (`/path?query`) and, because RFC 9112 §3.2.2 says a server
    /// MUST accept it, absolute-form with an `http` or `https` scheme: the scheme and
    /// authority are dropped (`http://h/a` → `/a`, `http://h` → `/`). Checking that
    /// authority against `Host` is the router's job, not this function's.
    ///
    /// Resolution follows RFC 3986 §5.2.4 on the decoded segments, so `%2e%2e` and `.%2E`
    /// are `..` (RFC 3986 §6.2.2.2: encoded unreserved characters are equivalent to the
    /// characters). Decoding happens once; `%252e` stays the three bytes `%2e`. Repeated
    /// slashes collapse to one before dot segments are resolved, as the file system would
    /// see them (so `/a//..` is `/`, not RFC 3986's `/a/`). `/a/b/..` is `/a/`, with
    /// `trailingSlash` set.
    ///
    /// `output` needs at most `target.count` bytes (decoding only shrinks), or 1 byte when
    /// an absolute-form target has no path; a smaller buffer may yield `.tooLong`.
    public static func parse(_ target: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        -> RequestPathResult
    {
        guard let pathStart = pathStart(of: target) else { return .rejected(.notOriginForm) }
        var pathEnd = pathStart
        while pathEnd < target.count && target[pathEnd] != UInt8(ascii: "?") { pathEnd += 1 }
        // Safe: pathEnd < target.count, so pathEnd + 1 <= target.count.
        let query: Range<Int>? = pathEnd < target.count ? (pathEnd &+ 1)..<target.count : nil
        let path = UnsafeRawBufferPointer(rebasing: target[pathStart..<pathEnd])
        switch resolve(path, into: output) {
        case .success(let length):
            let trailingSlash = output[length - 1] == UInt8(ascii: "/")
            return .normalized(RequestPath(length: length, trailingSlash: trailingSlash, query: query))
        case .failure(let rejection):
            return .rejected(rejection)
        }
    }

    /// Where the path begins in `target`: 0 for origin-form, just past the authority for
    /// `http`/`https` absolute-form; nil for any other form or an empty host
    /// (RFC 9110 §4.2.1: a recipient MUST reject an http URI with an empty host).
    static func pathStart(of target: UnsafeRawBufferPointer) -> Int? {
        // Indexing, not `target.first`: the generic `first` allocates in unoptimised builds.
        guard !target.isEmpty else { return nil }
        if target[0] == UInt8(ascii: "/") { return 0 }
        let schemeLength: Int
        if hasPrefix(target, "http://") {
            schemeLength = 7
        } else if hasPrefix(target, "https://") {
            schemeLength = 8
        } else {
            return nil
        }
        var index = schemeLength
        while index < target.count {
            let byte = target[index]
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
            index += 1
        }
        return index > schemeLength ? index : nil
    }

    /// Whether `target` begins with the lowercase ASCII `literal`, ignoring case
    /// (schemes are case-insensitive, RFC 3986 §3.1).
    static func hasPrefix(_ target: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard target.count >= count else { return false }
        return ASCII.equalsCaseInsensitive(UnsafeRawBufferPointer(rebasing: target[0..<count]), literal)
    }

    /// Decodes `path` (the bytes before `?`) segment by segment into `output` and resolves
    /// dot segments; returns the output length.
    ///
    /// Invariant at the start of each segment: `output[0..<written]` is the normalised
    /// prefix and ends in `/`. A `..` rewinds `written` to just after the previous `/`.
    static func resolve(_ path: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        -> Result<Int, RequestPathRejection>
    {
        guard !output.isEmpty else { return .failure(.tooLong) }
        output[0] = UInt8(ascii: "/")
        var written = 1
        var index = 0
        while index < path.count {
            if path[index] == UInt8(ascii: "/") {
                index += 1
                continue
            }
            let segmentStart = written
            while index < path.count && path[index] != UInt8(ascii: "/") {
                let byte: UInt8
                switch decodeByte(path, at: &index) {
                case .success(let value): byte = value
                case .failure(let rejection): return .failure(rejection)
                }
                guard written < output.count else { return .failure(.tooLong) }
                output[written] = byte
                written += 1
            }
            // Safe: the segment loop ran at least once, so written > segmentStart.
            let segmentLength = written &- segmentStart
            let isDot = output[segmentStart] == UInt8(ascii: ".")
            if isDot && segmentLength == 1 {
                written = segmentStart
            } else if isDot && segmentLength == 2 && output[segmentStart + 1] == UInt8(ascii: ".") {
                guard segmentStart > 1 else { return .failure(.aboveRoot) }
                // output[segmentStart - 1] is the "/" after the previous segment; find the
                // one before it. output[0] is "/", so the search stops.
                var slash = segmentStart - 2
                while output[slash] != UInt8(ascii: "/") { slash -= 1 }
                written = slash + 1
            } else if index < path.count {
                guard written < output.count else { return .failure(.tooLong) }
                output[written] = UInt8(ascii: "/")
                written += 1
            }
        }
        return .success(written)
    }

    /// Reads one path byte at `index`, decoding a `%XX` escape, and advances `index`;
    /// fails on a byte that no served path may contain.
    @inline(__always)
    static func decodeByte(_ path: UnsafeRawBufferPointer, at index: inout Int) -> Result<UInt8, RequestPathRejection> {
        var byte = path[index]
        if byte == UInt8(ascii: "%") {
            // Safe: index < path.count, so index + 2 cannot overflow.
            guard index &+ 2 < path.count, ASCII.isHexDigit(path[index + 1]), ASCII.isHexDigit(path[index + 2]) else {
                return .failure(.invalidPercentEncoding)
            }
            byte = UInt8(truncatingIfNeeded: ASCII.hexValue(path[index + 1]) << 4 | ASCII.hexValue(path[index + 2]))
            index += 3
            if byte == UInt8(ascii: "/") { return .failure(.encodedSlash) }
        } else {
            index += 1
            if byte == UInt8(ascii: "#") { return .failure(.fragment) }
        }
        if byte == UInt8(ascii: "\\") { return .failure(.backslash) }
        if byte < 0x20 || byte == 0x7F { return .failure(.controlCharacter) }
        return .success(byte)
    }
}
