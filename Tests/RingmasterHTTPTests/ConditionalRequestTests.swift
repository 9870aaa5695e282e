// HTTP-date parsing in all three formats (RFC 9110 §5.6.7) and the 304 decision with
// If-None-Match taking precedence over If-Modified-Since (§13.2.2).

import RingmasterHTTP
import Testing

/// 2025-01-01T00:00:00Z, the "now" of these tests.
private let now = 1_735_689_600

/// Parses `text` as an HTTP-date.
private func parseDate(_ text: String, now: Int = now) -> Int? {
    Array(text.utf8).withUnsafeBytes { HTTPDate.parse($0, now: now) }
}

/// The 304 decision with optional field values given as Strings.
private func notModified(ifNoneMatch: String?, ifModifiedSince: String?, lastModified: Int) -> Bool {
    let current = Array("\"5f5e1000-1234\"".utf8)
    let inm = ifNoneMatch.map { Array($0.utf8) }
    let ims = ifModifiedSince.map { Array($0.utf8) }
    return current.withUnsafeBytes { tagBytes in
        withOptionalBytes(inm) { inmBytes in
            withOptionalBytes(ims) { imsBytes in
                ConditionalRequest.isNotModified(
                    ifNoneMatch: inmBytes, ifModifiedSince: imsBytes, entityTag: tagBytes,
                    lastModified: lastModified, now: now)
            }
        }
    }
}

/// Calls `body` with the bytes of `array`, or nil.
private func withOptionalBytes<R>(_ array: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBytes { body($0) }
}

@Suite("Conditional requests")
struct ConditionalRequestTests {
    @Test(arguments: [
        // RFC 9110 §5.6.7: the same instant in the three formats.
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("Sun Nov 06 08:49:37 1994", 784_111_777),
        (" Sun, 06 Nov 1994 08:49:37 GMT\t", 784_111_777),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),
        ("Wed, 01 Mar 2000 00:00:00 GMT", 951_868_800),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ("Wed, 31 Dec 1969 23:59:59 GMT", -1),
        ("Tuesday, 29-Feb-00 00:00:00 GMT", 951_782_400),
        ("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800),
        // The weekday is syntax only; it is not checked against the date.
        ("Mon, 06 Nov 1994 08:49:37 GMT", 784_111_777),
    ])
    func parsesHTTPDates(text: String, expected: Int) {
        #expect(parseDate(text) == expected)
    }

    @Test(arguments: [
        "", "Sun, 06 Nov 1994 08:49:37 UTC", "sun, 06 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun,  06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:61 GMT", "Tue, 30 Feb 2000 00:00:00 GMT",
        "Mon, 29 Feb 1900 00:00:00 GMT", "Sun, 00 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08-49-37 GMT", "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTX",
        "Sundae, 06-Nov-94 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT", "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94",
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT", "784111777",
    ])
    func rejectsInvalidDates(text: String) {
        #expect(parseDate(text) == nil)
    }

    /// §5.6.7: a two-digit year more than 50 years in the future is in the past.
    @Test(arguments: [("70", 2070), ("75", 2075), ("76", 1976), ("99", 1999), ("00", 2000), ("24", 2024)])
    func rfc850YearsAreWithinFiftyYears(twoDigits: String, year: Int) {
        let parsed = parseDate("Friday, 01-Jan-\(twoDigits) 00:00:00 GMT")
        let expected = parseDate("Fri, 01 Jan \(year) 00:00:00 GMT")
        #expect(parsed != nil && parsed == expected)
    }

    @Test func formattedDatesParseBack() {
        var generator = SeededGenerator(state: 0xDA7E)
        for _ in 0..<5_000 {
            let seconds = Int.random(in: 0...253_402_300_799, using: &generator)
            let date = HTTPDate(unixSeconds: seconds)
            #expect(date.withBytes { HTTPDate.parse($0, now: now) } == seconds)
        }
    }

    @Test(
        arguments: [
            // If-None-Match alone.
            ("\"5f5e1000-1234\"", nil, 1000, true),
            ("W/\"5f5e1000-1234\"", nil, 1000, true),
            ("*", nil, 1000, true),
            ("\"other\"", nil, 1000, false),
            // §13.2.2 step 3: If-None-Match decides; If-Modified-Since is ignored.
            ("\"other\"", "Sun, 06 Nov 1994 08:49:37 GMT", 1000, false),
            ("\"5f5e1000-1234\"", "Thu, 01 Jan 1970 00:00:00 GMT", 784_111_777, true),
            // A malformed If-None-Match is still present, so If-Modified-Since stays ignored.
            ("xyzzy", "Sun, 06 Nov 1994 08:49:37 GMT", 1000, false),
            // §13.2.2 step 4: If-Modified-Since alone; 304 when modified at or before the date.
            (nil, "Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777, true),
            (nil, "Sun, 06 Nov 1994 08:49:37 GMT", 784_111_776, true),
            (nil, "Sun, 06 Nov 1994 08:49:37 GMT", 784_111_778, false),
            (nil, "Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777, true),
            (nil, "Sun Nov  6 08:49:37 1994", 784_111_777, true),
            // Invalid and future dates are ignored.
            (nil, "yesterday", 0, false),
            (nil, "Fri, 31 Dec 9999 23:59:59 GMT", 1000, false),
            (nil, nil, 1000, false),
        ] as [(String?, String?, Int, Bool)])
    func noneMatchTakesPrecedence(ifNoneMatch: String?, ifModifiedSince: String?, lastModified: Int, expected: Bool) {
        #expect(
            notModified(ifNoneMatch: ifNoneMatch, ifModifiedSince: ifModifiedSince, lastModified: lastModified)
                == expected)
    }
}
