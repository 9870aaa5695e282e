// The `access_log.format` values: how each request is written to the access log
// (docs/access-log.md shows both with examples).

/// The layout of an access log line.
public enum AccessLogFormat: String, Sendable, CaseIterable {
    /// NCSA Common Log Format: `127.0.0.1 - - [28/Nov/2026:18:04:24 +0000] "GET / HTTP/1.1" 200 13`.
    case common
    /// nginx's and Apache's `combined`: common, then `"Referer" "User-Agent"`.
    case combined
    /// One JSON object per line: `{"time":"2026-11-28T18:04:24Z","remote_addr":"127.0.0.1",...}`,
    /// with the Referer, User-Agent and request time.
    case json
}
