// The Date header value (RFC 9110 §5.6.7 IMF-fixdate), kept in the worker and rebuilt
// at most once per second. The calendar arithmetic is done here (days-from-civil
// inverse, H. Hinnant's public-domain algorithm) so no libc call and no allocation is made.

/// A cached IMF-fixdate such as "Sun, 06 Nov 1994 08:49:37 GMT" (always 29 bytes).
///
/// Times before 1970 or after 9999-12-31T23:59:59Z are clamped to that range for
/// formatting, because the format has a four-digit year.
public struct HTTPDate: Sendable {
    /// The length of an IMF-fixdate in bytes.
    public static let length = 29

    /// The last second the bytes were built for.
    public private(set) var unixSeconds: Int
    /// The 29 formatted bytes, padded to 32.
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The latest second that still has a four-digit year.
    static let maxSeconds = 253_402_300_799

    /// Builds the date for `unixSeconds` (seconds since 1970-01-01T00:00:00Z).
    public init(unixSeconds: Int) {
        self.unixSeconds = unixSeconds
        rebuild()
    }

    /// Moves the date to `unixSeconds`; returns true when the second changed and the
    /// bytes were rebuilt, false when it is the same second (nothing to do).
    public mutating func update(unixSeconds: Int) -> Bool {
        guard unixSeconds != self.unixSeconds else { return false }
        self.unixSeconds = unixSeconds
        rebuild()
        return true
    }

    /// Calls `body` with exactly the 29 date bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { bytes in
            try body(UnsafeRawBufferPointer(rebasing: bytes[0..<Self.length]))
        }
    }

    /// Formats `unixSeconds` into `storage`.
    private mutating func rebuild() {
        let seconds = min(max(unixSeconds, 0), Self.maxSeconds)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // 1970-01-01 was a Thursday (index 4 with Sunday = 0).
        let weekday = (days + 4) % 7
        let (year, month, day) = Self.civil(fromDays: days)
        withUnsafeMutableBytes(of: &storage) { out in
            let names: StaticString = "SunMonTueWedThuFriSatJanFebMarAprMayJunJulAugSepOctNovDec"
            let n = names.utf8Start
            for k in 0..<3 { out[k] = n[weekday * 3 + k] }
            out[3] = UInt8(ascii: ",")
            out[4] = UInt8(ascii: " ")
            Self.put2(day, out, 5)
            out[7] = UInt8(ascii: " ")
            for k in 0..<3 { out[8 + k] = n[21 + (month - 1) * 3 + k] }
            out[11] = UInt8(ascii: " ")
            Self.put2(year / 100, out, 12)
            Self.put2(year % 100, out, 14)
            out[16] = UInt8(ascii: " ")
            Self.put2(secondOfDay / 3600, out, 17)
            out[19] = UInt8(ascii: ":")
            Self.put2(secondOfDay / 60 % 60, out, 20)
            out[22] = UInt8(ascii: ":")
            Self.put2(secondOfDay % 60, out, 23)
            out[25] = UInt8(ascii: " ")
            out[26] = UInt8(ascii: "G")
            out[27] = UInt8(ascii: "M")
            out[28] = UInt8(ascii: "T")
        }
    }

    /// Writes `value` (0...99) as two decimal digits at `offset`.
    private static func put2(_ value: Int, _ out: UnsafeMutableRawBufferPointer, _ offset: Int) {
        out[offset] = UInt8(truncatingIfNeeded: value / 10) + UInt8(ascii: "0")
        out[offset + 1] = UInt8(truncatingIfNeeded: value % 10) + UInt8(ascii: "0")
    }

    /// The proleptic Gregorian (year, month 1...12, day 1...31) of a day count since
    /// 1970-01-01 (`days` >= 0), using 400-year eras that start on 0000-03-01.
    public static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468  // days from 0000-03-01 to 1970-01-01
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
