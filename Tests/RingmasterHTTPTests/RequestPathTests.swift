// RequestPath: percent-decoding and dot-segment removal (RFC 3986 §5.2.4) that can never
// climb above the root, checked against a table of traversal attempts and a seeded
// property test with a String-based reference implementation.

import RingmasterHTTP
import Testing

/// A parse result with the path copied out, for comparisons.
enum RequestPathOutcome: Equatable, CustomStringConvertible {
    case path(String, slash: Bool, query: String?)
    case rejected(RequestPathRejection)

    var description: String {
        switch self {
        case .path(let path, let slash, let query): "path(\(path), slash: \(slash), query: \(query ?? "nil"))"
        case .rejected(let why): "rejected(\(why))"
        }
    }
}

/// Parses `target` into a buffer of `capacity` bytes (default: the target's length, the
/// documented maximum need) and checks that nothing was written past the buffer.
private func normalize(_ target: String, capacity: Int? = nil) -> RequestPathOutcome {
    let input = Array(target.utf8)
    let size = capacity ?? max(input.count, 1)
    var storage = [UInt8](repeating: 0xAA, count: size + 8)
    let outcome: RequestPathOutcome = input.withUnsafeBytes { targetBytes in
        storage.withUnsafeMutableBytes { all in
            let output = UnsafeMutableRawBufferPointer(rebasing: all[0..<size])
            switch RequestPath.parse(targetBytes, into: output) {
            case .rejected(let why):
                return .rejected(why)
            case .normalized(let path):
                let text = String(decoding: output[0..<path.length], as: UTF8.self)
                let query = path.query.map { String(decoding: input[$0], as: UTF8.self) }
                return .path(text, slash: path.trailingSlash, query: query)
            }
        }
    }
    #expect(storage[size...].allSatisfy { $0 == 0xAA }, "wrote past the buffer for \(target)")
    return outcome
}

@Suite("Request path")
struct RequestPathTests {
    @Test(arguments: [
        ("/", RequestPathOutcome.path("/", slash: true, query: nil)),
        ("/index.html", .path("/index.html", slash: false, query: nil)),
        ("/a/./b/../c", .path("/a/c", slash: false, query: nil)),
        ("//a///b", .path("/a/b", slash: false, query: nil)),
        ("/a/b/", .path("/a/b/", slash: true, query: nil)),
        ("/a//", .path("/a/", slash: true, query: nil)),
        ("/a/b/..", .path("/a/", slash: true, query: nil)),
        ("/a/b/.", .path("/a/b/", slash: true, query: nil)),
        ("/a/..", .path("/", slash: true, query: nil)),
        ("/./", .path("/", slash: true, query: nil)),
        ("/a/b/../../c/", .path("/c/", slash: true, query: nil)),
        ("/a?x=1&y=%2F", .path("/a", slash: false, query: "x=1&y=%2F")),
        ("/a?", .path("/a", slash: false, query: "")),
        ("/a/?q=/../..", .path("/a/", slash: true, query: "q=/../..")),
        ("/%41", .path("/A", slash: false, query: nil)),
        ("/a%20b", .path("/a b", slash: false, query: nil)),
        ("/a%3Fb?c", .path("/a?b", slash: false, query: "c")),
        ("/caf%C3%A9", .path("/café", slash: false, query: nil)),
        ("/%252e%252e/x", .path("/%2e%2e/x", slash: false, query: nil)),
        ("/...", .path("/...", slash: false, query: nil)),
        ("/.a/..b/b..", .path("/.a/..b/b..", slash: false, query: nil)),
        ("/a/%2e/b", .path("/a/b", slash: false, query: nil)),
        ("/a/b/%2e%2e/c", .path("/a/c", slash: false, query: nil)),
        ("http://example.com/a/../b?q", .path("/b", slash: false, query: "q")),
        ("HTTPS://example.com", .path("/", slash: true, query: nil)),
        ("http://example.com?x", .path("/", slash: true, query: "x")),
        ("http://user@h:8080//a", .path("/a", slash: false, query: nil)),
    ])
    func normalizes(target: String, expected: RequestPathOutcome) {
        #expect(normalize(target) == expected)
    }

    @Test(arguments: [
        ("/../etc/passwd", RequestPathRejection.aboveRoot),
        ("/..", .aboveRoot),
        ("/a/../../x", .aboveRoot),
        ("/a/b/../../..", .aboveRoot),
        ("/%2e%2e/x", .aboveRoot),
        ("/%2E%2E/x", .aboveRoot),
        ("/.%2E/x", .aboveRoot),
        ("/%2e./x", .aboveRoot),
        ("/a/%2e%2e/%2e%2e/x", .aboveRoot),
        ("//..//x", .aboveRoot),
        ("http://h/../x", .aboveRoot),
        ("/a/%2F..%2Fb", .encodedSlash),
        ("/a%2fb", .encodedSlash),
        ("/a%5C..%5Cb", .backslash),
        ("/a%5cb", .backslash),
        ("/a\\..\\b", .backslash),
        ("/%00", .controlCharacter),
        ("/a%00.html", .controlCharacter),
        ("/a%0d%0aSet-Cookie:x", .controlCharacter),
        ("/a%7F", .controlCharacter),
        ("/a%09", .controlCharacter),
        ("/%4", .invalidPercentEncoding),
        ("/%zz", .invalidPercentEncoding),
        ("/%", .invalidPercentEncoding),
        ("/a%4g", .invalidPercentEncoding),
        ("/a%%41", .invalidPercentEncoding),
        ("/a#frag", .fragment),
        ("*", .notOriginForm),
        ("example.com:443", .notOriginForm),
        ("ftp://h/a", .notOriginForm),
        ("http:///a", .notOriginForm),
        ("http:/a", .notOriginForm),
        ("a/b", .notOriginForm),
        ("", .notOriginForm),
    ])
    func rejects(target: String, reason: RequestPathRejection) {
        #expect(normalize(target) == .rejected(reason))
    }

    @Test func rejectionStatuses() {
        #expect(RequestPathRejection.tooLong.status == .uriTooLong)
        #expect(RequestPathRejection.aboveRoot.status == .badRequest)
        #expect(RequestPathRejection.encodedSlash.status == .badRequest)
    }

    @Test func smallBuffersAreTooLongNeverOverrun() {
        let target = "/alpha/beta/../gamma/"
        guard case .path(let full, _, _) = normalize(target) else {
            Issue.record("expected a path")
            return
        }
        // "/alpha/gamma/" needs 13 bytes, but decoding writes "beta" before ".." rewinds it.
        for capacity in 0..<full.utf8.count {
            #expect(normalize(target, capacity: capacity) == .rejected(.tooLong))
        }
        #expect(normalize("http://host", capacity: 1) == .path("/", slash: true, query: nil))
        #expect(normalize("http://host", capacity: 0) == .rejected(.tooLong))
    }

    /// Random paths built from `/`, `.`, `..`, `%2e`, `%2E`, `a`, `b`: whatever is
    /// accepted never contains a dot or empty segment and always starts with `/`; the
    /// outcome equals a String-based RFC 3986 §5.2.4 reference.
    @Test func randomDotPathsNeverClimb() {
        let pieces = ["/", "/", ".", "..", "%2e", "%2E", "a", "b"]
        var generator = SeededGenerator(state: 0x5EED_0006)
        var accepted = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...14, using: &generator)
            var target = "/"
            for _ in 0..<length { target += pieces.randomElement(using: &generator)! }
            let outcome = normalize(target)
            #expect(outcome == reference(target), "\(target)")
            guard case .path(let path, let slash, _) = outcome else { continue }
            accepted += 1
            #expect(path.hasPrefix("/"))
            #expect(slash == path.hasSuffix("/"))
            let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            for (index, segment) in segments.enumerated() {
                #expect(segment != ".." && segment != ".", "\(target) → \(path)")
                #expect(!segment.isEmpty || index == segments.count - 1, "\(target) → \(path)")
            }
        }
        #expect(accepted > 1000)
    }

    /// The reference: decode each segment, then apply RFC 3986 §5.2.4 with a stack,
    /// refusing a pop at the root. Only handles the escapes the property test produces.
    private func reference(_ target: String) -> RequestPathOutcome {
        let raw = target.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var stack: [String] = []
        var trailing = false
        for segment in raw {
            let decoded = segment.replacingOccurrences("%2e", ".").replacingOccurrences("%2E", ".")
            trailing = true
            switch decoded {
            case "": continue
            case ".": continue
            case "..":
                if stack.isEmpty { return .rejected(.aboveRoot) }
                stack.removeLast()
            default:
                stack.append(decoded)
                trailing = false
            }
        }
        let path = "/" + stack.joined(separator: "/") + (trailing && !stack.isEmpty ? "/" : "")
        return .path(path, slash: path.hasSuffix("/"), query: nil)
    }
}

extension Substring {
    /// `self` with every `needle` replaced by `replacement` (no Foundation here).
    fileprivate func replacingOccurrences(_ needle: String, _ replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: needle) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension String {
    /// `self` with every `needle` replaced by `replacement`.
    fileprivate func replacingOccurrences(_ needle: String, _ replacement: String) -> String {
        self[...].replacingOccurrences(needle, replacement)
    }
}
