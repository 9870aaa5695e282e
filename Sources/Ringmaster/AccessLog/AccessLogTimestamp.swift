// The time field of an access log line, in UTC: `28/Nov/2026:18:04:24 +0000` for the common
// format (strftime's "%d/%b/%Y:%H:%M:%S %z"), `2026-11-28T18:04:24Z` (RFC 3339) for JSON.
// A worker formats it at most once a second and copies the cached bytes into every line.
// UTC rather than local time: the zone would need the tz database and a lock inside libc,
// and collectors compare UTC stamps without guessing an offset.
import RingmasterHTTP

/// Formats access log timestamps.
enum AccessLogTimestamp {
    /// Room a timestamp needs (26 bytes for common, 20 for JSON).
    static let capacity = 32

    /// Writes the time `unixSeconds` in `format`'s layout at `out`; returns the length.
    static func write(unixSeconds: Int, format: AccessLogFormat, into out: UnsafeMutableRawPointer) -> Int {
        // The same range HTTPDate keeps: a four-digit year.
        let seconds = min(max(unixSeconds, 0), 253_402_300_799)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = HTTPDate.civil(fromDays: days)
        var cursor = LogCursor(out)
        switch format {
        case .common, .combined:
            cursor.twoDigits(day)
            cursor.byte(UInt8(ascii: "/"))
            let names: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
            cursor.bytes(names.utf8Start + (month - 1) * 3, count: 3)
            cursor.byte(UInt8(ascii: "/"))
            cursor.twoDigits(year / 100)
            cursor.twoDigits(year % 100)
            cursor.byte(UInt8(ascii: ":"))
            cursor.twoDigits(secondOfDay / 3600)
            cursor.byte(UInt8(ascii: ":"))
            cursor.twoDigits(secondOfDay / 60 % 60)
            cursor.byte(UInt8(ascii: ":"))
            cursor.twoDigits(secondOfDay % 60)
            cursor.literal(" +0000")
        case .json:
            cursor.twoDigits(year / 100)
            cursor.twoDigits(year % 100)
            cursor.byte(UInt8(ascii: "-"))
            cursor.twoDigits(month)
            cursor.byte(UInt8(ascii: "-"))
            cursor.twoDigits(day)
            cursor.byte(UInt8(ascii: "T"))
            cursor.twoDigits(secondOfDay / 3600)
            cursor.byte(UInt8(ascii: ":"))
            cursor.twoDigits(secondOfDay / 60 % 60)
            cursor.byte(UInt8(ascii: ":"))
            cursor.twoDigits(secondOfDay % 60)
            cursor.byte(UInt8(ascii: "Z"))
        }
        return cursor.count
    }
}
