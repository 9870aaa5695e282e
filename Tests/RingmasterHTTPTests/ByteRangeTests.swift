// ByteRange: single `Range: bytes=…` requests (RFC 9110 §14.1.2, §14.2) and the
// Content-Range values for 206 and 416 (§14.4, §15.5.17).

import RingmasterHTTP
import Testing

/// Parses `field` against a representation of `length` bytes.
private func range(_ field: String, length: UInt64) -> ByteRangeResult {
    Array(field.utf8).withUnsafeBytes { ByteRange.parse($0, length: length) }
}

/// Shorthand for a satisfiable result.
private func satisfiable(_ first: UInt64, _ last: UInt64) -> ByteRangeResult {
    .satisfiable(ByteRange(first: first, last: last))
}

/// Runs a Content-Range writer into `capacity` bytes; nil if it did not fit.
private func written(capacity: Int, _ write: (UnsafeMutableRawBufferPointer) -> Int?) -> String? {
    var storage = [UInt8](repeating: 0xAA, count: capacity + 8)
    let count = storage.withUnsafeMutableBytes { write(UnsafeMutableRawBufferPointer(rebasing: $0[0..<capacity])) }
    #expect(storage[capacity...].allSatisfy { $0 == 0xAA }, "wrote past the buffer")
    return count.map { String(decoding: storage[0..<$0], as: UTF8.self) }
}

@Suite("Byte ranges")
struct ByteRangeTests {
    @Test(arguments: [
        // RFC 9110 §14.1.2 examples, representation length 10000.
        ("bytes=0-499", satisfiable(0, 499)),
        ("bytes=500-999", satisfiable(500, 999)),
        ("bytes=-500", satisfiable(9500, 9999)),
        ("bytes=9500-", satisfiable(9500, 9999)),
        ("bytes=0-0", satisfiable(0, 0)),
        ("bytes=-1", satisfiable(9999, 9999)),
        ("bytes=9999-", satisfiable(9999, 9999)),
        // Clamping: last-pos past the end, suffix longer than the representation.
        ("bytes=0-99999", satisfiable(0, 9999)),
        ("bytes=-99999", satisfiable(0, 9999)),
        ("bytes=0-", satisfiable(0, 9999)),
        // Unit case, OWS and empty list elements.
        ("BYTES=0-1", satisfiable(0, 1)),
        ("Bytes=0-1", satisfiable(0, 1)),
        ("  bytes=0-1  ", satisfiable(0, 1)),
        ("bytes= 0-1", satisfiable(0, 1)),
        ("bytes=0-1, ", satisfiable(0, 1)),
        ("bytes=,,0-1", satisfiable(0, 1)),
        // Unsatisfiable: first-pos at or past the end, zero suffix.
        ("bytes=10000-", .unsatisfiable),
        ("bytes=10000-20000", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        // Ignored: invalid, multiple, unknown unit, malformed.
        ("bytes=5-2", .ignore),
        ("bytes=0-1,5-6", .ignore),
        ("bytes=0-1, 0-1", .ignore),
        ("bytes=10000-,20000-", .ignore),
        ("items=0-1", .ignore),
        ("bytes 0-1", .ignore),
        ("bytes=", .ignore),
        ("bytes", .ignore),
        ("", .ignore),
        ("bytes=abc", .ignore),
        ("bytes=1", .ignore),
        ("bytes=-", .ignore),
        ("bytes=--1", .ignore),
        ("bytes=1-2-3", .ignore),
        ("bytes=0 -1", .ignore),
        ("bytes=0- 1", .ignore),
        ("bytes=+1-2", .ignore),
        ("bytes=0x10-", .ignore),
        ("bytes =0-1", .ignore),
        // Numbers beyond UInt64 saturate instead of wrapping.
        ("bytes=99999999999999999999999-", .unsatisfiable),
        ("bytes=0-99999999999999999999999", satisfiable(0, 9999)),
        ("bytes=-99999999999999999999999", satisfiable(0, 9999)),
        ("bytes=18446744073709551615-18446744073709551615", .unsatisfiable),
        ("bytes=18446744073709551616-1", .ignore),
        ("bytes=18446744073709551617-", .unsatisfiable),
    ])
    func parsesAgainstLength10000(field: String, expected: ByteRangeResult) {
        #expect(range(field, length: 10_000) == expected)
    }

    @Test(arguments: [
        ("bytes=0-", ByteRangeResult.unsatisfiable),
        ("bytes=0-0", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=-5", .ignore),
        ("bytes=5-2", .ignore),
    ])
    func zeroLengthRepresentations(field: String, expected: ByteRangeResult) {
        #expect(range(field, length: 0) == expected)
    }

    @Test func hugeRepresentations() {
        #expect(range("bytes=-1", length: .max) == satisfiable(.max - 1, .max - 1))
        #expect(range("bytes=0-", length: .max) == satisfiable(0, .max - 1))
        #expect(ByteRange(first: 10, last: 19).count == 10)
        #expect(ByteRange(first: 0, last: 0).count == 1)
    }

    @Test func contentRangeValues() {
        let range = ByteRange(first: 0, last: 499)
        #expect(written(capacity: 64) { range.writeContentRange(length: 1234, into: $0) } == "bytes 0-499/1234")
        #expect(written(capacity: 64) { ByteRange.writeUnsatisfiedContentRange(length: 1234, into: $0) } == "bytes */1234")
        #expect(written(capacity: 64) { ByteRange.writeUnsatisfiedContentRange(length: 0, into: $0) } == "bytes */0")
        let largest = ByteRange(first: .max - 1, last: .max - 1)
        let text = "bytes 18446744073709551614-18446744073709551614/18446744073709551615"
        #expect(written(capacity: text.utf8.count) { largest.writeContentRange(length: .max, into: $0) } == text)
        for capacity in 0..<text.utf8.count {
            #expect(written(capacity: capacity) { largest.writeContentRange(length: .max, into: $0) } == nil)
        }
        for capacity in 0..<12 {
            #expect(written(capacity: capacity) { ByteRange.writeUnsatisfiedContentRange(length: 1234, into: $0) } == nil)
        }
    }
}
