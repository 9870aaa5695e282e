// One log line as one JSON object on stderr: time, level, label, message, then every metadata
// key as a field of its own (worker, cpu, port, key, path...: what a collector indexes and
// queries, not buried in the message or in a nested object), then source. Written with a
// single write(2) so lines from several threads never interleave. Formatted by hand: the
// library does not link Foundation.
import Glibc
import Logging

/// Formats and writes JSON log lines.
enum JSONLogLine {
    /// The line's own fields; a metadata key with one of these names is written as `_name`.
    static let reserved: Set<String> = ["time", "level", "label", "message", "source"]

    /// Writes `event` with the handler's `metadata` (the event's own metadata wins).
    static func write(label: String, event: LogEvent, metadata: Logger.Metadata) {
        var bytes = Array(line(label: label, event: event, metadata: metadata).utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// The JSON object for `event`, newline included.
    static func line(label: String, event: LogEvent, metadata: Logger.Metadata) -> String {
        var merged = metadata
        if let own = event.metadata { merged.merge(own) { $1 } }
        var line = "{\"time\":\"\(timestamp())\",\"level\":\"\(event.level.rawValue)\",\"label\":\(quote(label)),\"message\":\(quote(event.message.description))"
        for key in merged.keys.sorted() {
            line += "," + quote(reserved.contains(key) ? "_" + key : key) + ":" + render(merged[key]!)
        }
        line += ",\"source\":\(quote(event.source))}\n"
        return line
    }

    /// UTC time as ISO 8601 with milliseconds: "2025-01-31T12:00:00.123Z".
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }

    /// A metadata value as JSON.
    static func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): return quote(s)
        case .stringConvertible(let c): return quote(c.description)
        case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.keys.sorted().map { quote($0) + ":" + render(d[$0]!) }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 escapes).
    static func quote(_ s: String) -> String { JSONValue.quoted(s) }
}
