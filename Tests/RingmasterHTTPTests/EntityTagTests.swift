// EntityTag: the metadata-derived strong tag and If-None-Match evaluation with weak
// comparison (RFC 9110 §8.8.3.2, §13.1.2), using the RFC's own examples.

import RingmasterHTTP
import Testing

/// The tag for the given metadata as a String, or nil if `capacity` is too small.
private func tag(size: UInt64, seconds: Int64, nanoseconds: UInt32, capacity: Int = EntityTag.maxLength) -> String? {
    var storage = [UInt8](repeating: 0xAA, count: capacity + 8)
    let written = storage.withUnsafeMutableBytes { all in
        EntityTag.write(
            size: size, modificationSeconds: seconds, modificationNanoseconds: nanoseconds,
            into: UnsafeMutableRawBufferPointer(rebasing: all[0..<capacity]))
    }
    #expect(storage[capacity...].allSatisfy { $0 == 0xAA }, "wrote past the buffer")
    return written.map { String(decoding: storage[0..<$0], as: UTF8.self) }
}

/// Evaluates `If-None-Match: field` against `current`.
private func ifNoneMatch(_ field: String, current: String) -> EntityTag.Match {
    Array(field.utf8).withUnsafeBytes { fieldBytes in
        Array(current.utf8).withUnsafeBytes { EntityTag.evaluateIfNoneMatch(fieldBytes, current: $0) }
    }
}

@Suite("Entity tags")
struct EntityTagTests {
    @Test(arguments: [
        (UInt64(0x1234), Int64(0x5F5E_1000), UInt32(0), "\"5f5e1000-1234\""),
        (0, 0, 0, "\"0-0\""),
        (0x1234, 0x5F5E_1000, 500_000_000, "\"5f5e1000.1dcd6500-1234\""),
        (1, -1, 1, "\"ffffffffffffffff.1-1\""),
        (UInt64.max, Int64.max, 999_999_999, "\"7fffffffffffffff.3b9ac9ff-ffffffffffffffff\""),
    ])
    func writesNginxStyleTags(size: UInt64, seconds: Int64, nanoseconds: UInt32, expected: String) {
        #expect(tag(size: size, seconds: seconds, nanoseconds: nanoseconds) == expected)
    }

    @Test func longestTagFitsMaxLengthAndSmallerBuffersFail() {
        let longest = tag(size: .max, seconds: -1, nanoseconds: .max)
        #expect(longest?.utf8.count == EntityTag.maxLength)
        for capacity in 0..<EntityTag.maxLength {
            #expect(tag(size: .max, seconds: -1, nanoseconds: .max, capacity: capacity) == nil)
        }
    }

    @Test func differentMetadataGivesDifferentTags() {
        let base = tag(size: 100, seconds: 1_700_000_000, nanoseconds: 5)
        #expect(base != tag(size: 101, seconds: 1_700_000_000, nanoseconds: 5))
        #expect(base != tag(size: 100, seconds: 1_700_000_001, nanoseconds: 5))
        #expect(base != tag(size: 100, seconds: 1_700_000_000, nanoseconds: 6))
    }

    @Test(arguments: [
        // RFC 9110 §13.1.2 examples against "xyzzy".
        ("\"xyzzy\"", EntityTag.Match.match),
        ("W/\"xyzzy\"", .match),
        ("\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", .match),
        ("W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", .match),
        ("\"r2d2xxxx\", \"c3piozzzz\", \"xyzzy\"", .match),
        ("*", .match),
        ("  *\t", .match),
        // List syntax: OWS, empty elements (§5.6.1), tabs.
        (" , ,\t\"xyzzy\" ,", .match),
        ("\"a\",\"xyzzy\"", .match),
        // Not matching.
        ("\"r2d2xxxx\", \"c3piozzzz\"", .noMatch),
        ("\"XYZZY\"", .noMatch),
        ("\"xyzzy \"", .noMatch),
        ("\"\"", .noMatch),
        ("", .noMatch),
        ("   ", .noMatch),
        // Malformed: the whole field is ignored, even after a match.
        ("w/\"xyzzy\"", .noMatch),
        ("xyzzy", .noMatch),
        ("\"xyzzy", .noMatch),
        ("\"xyzzy\" \"a\"", .noMatch),
        ("\"xyzzy\", *", .noMatch),
        ("*, \"xyzzy\"", .noMatch),
        ("W/ \"xyzzy\"", .noMatch),
        ("\"xy zzy\"", .noMatch),
        ("\"xyzzy\"x", .noMatch),
    ])
    func ifNoneMatchUsesWeakComparison(field: String, expected: EntityTag.Match) {
        #expect(ifNoneMatch(field, current: "\"xyzzy\"") == expected)
    }

    @Test func weakCurrentTagAndCommasInsideTags() {
        #expect(ifNoneMatch("\"xyzzy\"", current: "W/\"xyzzy\"") == .match)
        #expect(ifNoneMatch("\"a,b\"", current: "\"a,b\"") == .match)
        #expect(ifNoneMatch("\"a\", \"b\"", current: "\"a,b\"") == .noMatch)
    }

    @Test func generatedTagsRoundTripThroughIfNoneMatch() throws {
        let current = try #require(tag(size: 4096, seconds: 1_700_000_000, nanoseconds: 123))
        #expect(ifNoneMatch(current, current: current) == .match)
        #expect(ifNoneMatch("W/" + current, current: current) == .match)
        #expect(ifNoneMatch("\"other\", " + current, current: current) == .match)
        let older = try #require(tag(size: 4096, seconds: 1_700_000_000, nanoseconds: 122))
        #expect(ifNoneMatch(older, current: current) == .noMatch)
    }
}
