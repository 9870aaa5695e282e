// The `logging.format` values.

/// How log lines are written to stderr.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's `StreamLogHandler` lines, for people.
    case text
    /// One JSON object per line (time, level, label, message, metadata), for collectors.
    case json
}
