// HTTPDate: IMF-fixdate formatting (RFC 9110 §5.6.7) computed without libc.

import Testing
import RingmasterHTTP

/// The date's 29 bytes as a String.
func text(_ date: HTTPDate) -> String {
    date.withBytes { String(decoding: $0, as: UTF8.self) }
}

@Suite("HTTP date")
struct HTTPDateTests {
    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (951_868_799, "Tue, 29 Feb 2000 23:59:59 GMT"),
        (951_868_800, "Wed, 01 Mar 2000 00:00:00 GMT"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
        (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),
        (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 GMT"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func formatsKnownTimestamps(seconds: Int, expected: String) {
        let date = HTTPDate(unixSeconds: seconds)
        #expect(text(date) == expected)
        #expect(date.withBytes { $0.count } == HTTPDate.length)
    }

    @Test func outOfRangeTimesAreClamped() {
        #expect(text(HTTPDate(unixSeconds: -1)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(text(HTTPDate(unixSeconds: Int.max)) == "Fri, 31 Dec 9999 23:59:59 GMT")
    }

    @Test func updateRebuildsOnlyWhenTheSecondChanges() {
        var date = HTTPDate(unixSeconds: 784_111_777)
        let sameSecond = date.update(unixSeconds: 784_111_777)
        #expect(!sameSecond)
        let nextSecond = date.update(unixSeconds: 784_111_778)
        #expect(nextSecond)
        #expect(date.unixSeconds == 784_111_778)
        #expect(text(date) == "Sun, 06 Nov 1994 08:49:38 GMT")
    }

    @Test func everyDayOfFourHundredYearsRoundTrips() {
        // Walk day by day from 1970 and check the calendar advances by exactly one day.
        var previous = (year: 1969, month: 12, day: 31)
        let monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for day in stride(from: 0, to: 146_097, by: 1) {
            let value = text(HTTPDate(unixSeconds: day * 86_400 + 43_200))
            let parts = value.split(separator: " ")
            let dayOfMonth = Int(parts[1])!
            let month = months.firstIndex(of: String(parts[2]))! + 1
            let year = Int(parts[3])!
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            var expected = (year: previous.year, month: previous.month, day: previous.day + 1)
            let length = previous.month == 2 && leap ? 29 : monthDays[previous.month - 1]
            if expected.day > length { expected = (previous.year, previous.month + 1, 1) }
            if expected.month > 12 { expected = (previous.year + 1, 1, 1) }
            guard year == expected.year && month == expected.month && dayOfMonth == expected.day else {
                Issue.record("day \(day): \(value)")
                return
            }
            previous = expected
        }
    }
}
