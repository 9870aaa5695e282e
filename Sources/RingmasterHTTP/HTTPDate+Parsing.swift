// Parsing of HTTP-date field values (RFC 9110 §5.6.7) into Unix seconds, for
// If-Modified-Since. Recipients MUST accept all three formats: IMF-fixdate and the
// obsolete rfc850-date and asctime-date. Fixed offsets, no libc, no allocation.

extension HTTPDate {
    /// The Unix seconds of an HTTP-date, or nil if `value` is none of
    /// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT`
    /// (rfc850-date) or `Sun Nov  6 08:49:37 1994` (asctime-date).
    ///
    /// HTTP-date is case-sensitive and its spaces are exact (§5.6.7), so nothing else is
    /// accepted apart from OWS around the whole value. The weekday must be a valid name
    /// but is not checked against the date, as most servers do. A second of 60 (leap
    /// second) is allowed by the grammar and counts as the next minute's 00.
    ///
    /// `now` (Unix seconds) places rfc850's two-digit year: §5.6.7 says a year that
    /// appears to be more than 50 years in the future is the most recent past year with
    /// the same last two digits.
    public static func parse(_ value: UnsafeRawBufferPointer, now: Int) -> Int? {
        let v = EntityTag.trimmed(value)
        if v.count == 29 && v[3] == UInt8(ascii: ",") {
            guard dayName(v, 0), matches(v, 3, ", "), matches(v, 7, " "), matches(v, 11, " "),
                matches(v, 16, " "), matches(v, 25, " GMT"), let day = digits(v, 5, 2), let month = monthNumber(v, 8),
                let year = digits(v, 12, 4)
            else { return nil }
            return seconds(year: year, month: month, day: day, v, timeAt: 17)
        }
        if v.count == 24 && v[3] == UInt8(ascii: " ") {
            guard dayName(v, 0), matches(v, 7, " "), matches(v, 10, " "), matches(v, 19, " "),
                let month = monthNumber(v, 4), let year = digits(v, 20, 4)
            else { return nil }
            // day = 2DIGIT / ( SP DIGIT )
            let day = v[8] == UInt8(ascii: " ") ? digits(v, 9, 1) : digits(v, 8, 2)
            guard let day else { return nil }
            return seconds(year: year, month: month, day: day, v, timeAt: 11)
        }
        return parseRFC850(v, now: now)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`: a long weekday name, then 24 fixed bytes.
    private static func parseRFC850(_ v: UnsafeRawBufferPointer, now: Int) -> Int? {
        let tail = 24
        guard v.count > tail else { return nil }
        // Safe: v.count > tail.
        let b = v.count &- tail
        guard longDayName(UnsafeRawBufferPointer(rebasing: v[0..<b])), matches(v, b, ", "),
            matches(v, b + 4, "-"), matches(v, b + 8, "-"), matches(v, b + 11, " "), matches(v, b + 20, " GMT"),
            let day = digits(v, b + 2, 2), let month = monthNumber(v, b + 5), let twoDigitYear = digits(v, b + 9, 2)
        else { return nil }
        let currentYear = civil(fromDays: max(now, 0) / 86_400).year
        var year = currentYear - currentYear % 100 + twoDigitYear
        if year > currentYear + 50 { year -= 100 }
        return seconds(year: year, month: month, day: day, v, timeAt: b + 12)
    }

    /// Combines a validated date with the `hh:mm:ss` at `offset`; nil if any part is out
    /// of range (hour 0–23, minute 0–59, second 0–60, day within the month).
    private static func seconds(year: Int, month: Int, day: Int, _ v: UnsafeRawBufferPointer, timeAt offset: Int)
        -> Int?
    {
        guard matches(v, offset + 2, ":"), matches(v, offset + 5, ":"), let hour = digits(v, offset, 2),
            let minute = digits(v, offset + 3, 2), let second = digits(v, offset + 6, 2),
            hour < 24, minute < 60, second <= 60, day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Days from 1970-01-01 to the proleptic Gregorian date (H. Hinnant's
    /// days_from_civil, the inverse of `civil(fromDays:)`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The number of days in `month` (1...12) of `year`.
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The value of `count` decimal digits at `offset`, or nil if any is not a digit.
    private static func digits(_ v: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> Int? {
        var value = 0
        for index in offset..<offset + count {
            guard ASCII.isDigit(v[index]) else { return nil }
            value = value * 10 + Int(v[index] - UInt8(ascii: "0"))
        }
        return value
    }

    /// Whether the bytes at `offset` are exactly `literal`.
    private static func matches(_ v: UnsafeRawBufferPointer, _ offset: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= v.count else { return false }
        for index in 0..<count where v[offset + index] != literal.utf8Start[index] { return false }
        return true
    }

    /// Whether the three bytes at `offset` are a `day-name` (`Mon`…`Sun`).
    private static func dayName(_ v: UnsafeRawBufferPointer, _ offset: Int) -> Bool {
        threeLetterIndex(v, offset, in: "MonTueWedThuFriSatSun") != nil
    }

    /// The month (1...12) named by the three bytes at `offset`, or nil.
    private static func monthNumber(_ v: UnsafeRawBufferPointer, _ offset: Int) -> Int? {
        threeLetterIndex(v, offset, in: "JanFebMarAprMayJunJulAugSepOctNovDec").map { $0 + 1 }
    }

    /// The index of the three bytes at `offset` among the names packed in `names`.
    private static func threeLetterIndex(_ v: UnsafeRawBufferPointer, _ offset: Int, in names: StaticString) -> Int? {
        let n = names.utf8Start
        for name in 0..<names.utf8CodeUnitCount / 3 {
            let k = name * 3
            if v[offset] == n[k] && v[offset + 1] == n[k + 1] && v[offset + 2] == n[k + 2] { return name }
        }
        return nil
    }

    /// Whether `name` is a `day-name-l` (`Monday`…`Sunday`).
    private static func longDayName(_ name: UnsafeRawBufferPointer) -> Bool {
        let names: (StaticString, StaticString, StaticString, StaticString, StaticString, StaticString, StaticString) =
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        return EntityTag.equal(name, raw(names.0)) || EntityTag.equal(name, raw(names.1))
            || EntityTag.equal(name, raw(names.2)) || EntityTag.equal(name, raw(names.3))
            || EntityTag.equal(name, raw(names.4)) || EntityTag.equal(name, raw(names.5))
            || EntityTag.equal(name, raw(names.6))
    }

    /// The bytes of a literal.
    private static func raw(_ literal: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
    }
}
