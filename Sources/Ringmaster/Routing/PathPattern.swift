// Route paths with parameters: `/items/{id}`, a single-segment wildcard `*` and a trailing
// catch-all `**`. Patterns are matched segment by segment directly on the bytes of the
// pattern and of the request path (still percent-encoded), so matching allocates nothing;
// captures are offsets into the path, written into caller memory (a fixed array per worker).
import Glibc

/// One captured parameter: where its name sits in the pattern and its value in the path.
struct PathCapture {
    var nameStart: UInt16 = 0
    var nameLength: UInt16 = 0
    var valueStart: UInt32 = 0
    var valueLength: UInt32 = 0
}

/// Parsing, ranking and matching of pattern route paths.
///
/// A pattern is a route path in which some whole segments are special:
/// - `{name}` matches one non-empty segment and captures it as `name`;
/// - `*` matches one non-empty segment, not captured;
/// - `**`, only as the last segment, matches the rest of the path (possibly empty) and
///   captures it as the catch-all.
/// Every other segment is literal and compared byte for byte.
enum PathPattern {
    /// The most named parameters one pattern may have (the worker's capture array).
    static let maxCaptures = 16

    /// Whether `path` has a special segment (and so is matched as a pattern).
    static func isPattern(_ path: String) -> Bool {
        path.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == "*" || $0 == "**" || $0.first == "{" }
    }

    /// Why `path` is not a valid pattern, or nil when it is.
    static func problem(_ path: String) -> String? {
        if path.utf8.count > Int(UInt16.max) { return "longer than \(UInt16.max) bytes" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var names: Set<Substring> = []
        for (i, segment) in segments.enumerated() {
            if segment == "**" && i != segments.count - 1 { return "\"**\" must be the last segment" }
            guard segment.contains("{") || segment.contains("}") else { continue }
            let name = segment.dropFirst().dropLast()
            guard segment.first == "{", segment.last == "}", !name.isEmpty,
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                return "a parameter is a whole segment \"{name}\" (letters, digits, _): \(segment)"
            }
            guard names.insert(name).inserted else { return "parameter \(name) appears twice" }
        }
        if names.count > maxCaptures { return "more than \(maxCaptures) parameters" }
        return nil
    }

    /// The rank among pattern routes: more literal segments first; at equal counts a
    /// pattern without `**` before one with it. Above every prefix rank (a path length),
    /// below the exact rank (`Int.max`).
    static func rank(_ path: String) -> Int {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let literals = segments.filter { $0 != "*" && $0 != "**" && $0.first != "{" }.count
        return (1 << 40) + 2 * literals + (segments.last == "**" ? 0 : 1)
    }

    /// Matches `path` against `pattern`. With `captures`, writes each `{name}` there (at most
    /// `maxCaptures`) and the catch-all into `rest`. Returns the number of captures, or -1
    /// when the path does not match. Bytes only: no allocation.
    @inline(__always)
    static func match(_ pattern: UnsafeRawBufferPointer, _ path: UnsafeRawBufferPointer, captures: UnsafeMutablePointer<PathCapture>? = nil,
                      rest: UnsafeMutablePointer<PathCapture>? = nil) -> Int {
        let slash = UInt8(ascii: "/")
        guard !path.isEmpty, path[0] == slash, !pattern.isEmpty else { return -1 }
        var i = 0, j = 0, count = 0
        // Safe: every &+ and &- below works on indices bounded by the buffers' counts (and
        // a count below maxCaptures), far from overflow; name offsets fit UInt16 (`problem`
        // refuses longer patterns) and value offsets UInt32 (a request line is at most 64 KiB).
        while true {
            // Both sit on a "/": step over it and find the ends of the segments behind.
            i &+= 1
            j &+= 1
            var patternEnd = i
            while patternEnd < pattern.count && pattern[patternEnd] != slash { patternEnd &+= 1 }
            let length = patternEnd &- i
            if length == 2 && pattern[i] == UInt8(ascii: "*") && pattern[i &+ 1] == UInt8(ascii: "*") {
                // The catch-all: whatever is left, "" included.
                rest?.pointee = PathCapture(valueStart: UInt32(truncatingIfNeeded: j), valueLength: UInt32(truncatingIfNeeded: path.count &- j))
                return count
            }
            guard j <= path.count else { return -1 }
            var pathEnd = j
            while pathEnd < path.count && path[pathEnd] != slash { pathEnd &+= 1 }
            let valueLength = pathEnd &- j
            if length == 1 && pattern[i] == UInt8(ascii: "*") {
                guard valueLength > 0 else { return -1 }
            } else if length > 2 && pattern[i] == UInt8(ascii: "{") {
                guard valueLength > 0 else { return -1 }
                if let captures {
                    captures[count] = PathCapture(nameStart: UInt16(truncatingIfNeeded: i &+ 1), nameLength: UInt16(truncatingIfNeeded: length &- 2),
                                                  valueStart: UInt32(truncatingIfNeeded: j), valueLength: UInt32(truncatingIfNeeded: valueLength))
                }
                count &+= 1
            } else {
                guard valueLength == length, length == 0 || memcmp(pattern.baseAddress! + i, path.baseAddress! + j, length) == 0 else { return -1 }
            }
            i = patternEnd
            j = pathEnd
            if i == pattern.count { return j == path.count ? count : -1 }
            if j == path.count { return -1 }
        }
    }
}
