// A validated configuration together with where each value came from: what `check-config`
// prints, what the startup summary logs, and what SIGHUP compares to find changed keys.

/// A configuration and the source of each of its values.
public struct LoadedConfiguration: Sendable {
    /// One effective value.
    public struct Entry: Sendable, Equatable {
        public var key: String
        /// The value as JSON would write it (routes: a summary).
        public var value: String
        public var source: ValueSource
    }

    public var configuration: ServerConfiguration
    /// Every key, in table order.
    public var entries: [Entry]
    /// What it was loaded from (used again on SIGHUP).
    public var sources: ConfigurationSources
    /// The resolved `user`/`group`, nil when neither is configured.
    public var account: Account?

    /// Where `key`'s value came from.
    public func source(of key: String) -> ValueSource? {
        entries.first { $0.key == key }?.source
    }

    /// `key`'s value as printed by `check-config`.
    public func value(of key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// The keys whose values differ from `old`, in table order. Routes compare in full (their
    /// printed summary leaves out the body text).
    public func changedKeys(from old: LoadedConfiguration) -> [String] {
        var changed: [String] = []
        for (new, previous) in zip(entries, old.entries) where new.key == previous.key {
            let differs = new.key == "routes" ? configuration.configuredRoutes != old.configuration.configuredRoutes : new.value != previous.value
            if differs { changed.append(new.key) }
        }
        return changed
    }

    /// `check-config` output: one `key = value  # source` line per key, values shortened to
    /// keep lines readable.
    public var report: String {
        let width = entries.map(\.key.count).max() ?? 0
        return entries.map { entry in
            let value = entry.value.count > 72 ? String(entry.value.prefix(69)) + "..." : entry.value
            return entry.key + String(repeating: " ", count: width - entry.key.count) + " = " + value + "  # " + entry.source.description
        }.joined(separator: "\n")
    }

    /// One log line: the values that shape the process, and how many came from each source.
    public var summary: String {
        let c = configuration
        let counts = ["file", "env", "flag"].map { kind in
            (kind, entries.filter { entry in
                switch entry.source {
                case .file: return kind == "file"
                case .environment: return kind == "env"
                case .flag: return kind == "flag"
                case .defaultValue: return false
                }
            }.count)
        }.filter { $0.1 > 0 }.map { "\($0.1) from \($0.0)" }
        let from = sources.filePath.map { "file \($0)" } ?? "no file"
        return "configuration (\(from); \(counts.isEmpty ? "all defaults" : counts.joined(separator: ", "))): "
            + "listen \(c.host):\(c.port) backlog \(c.backlog), workers \(value(of: "workers") ?? "?"), cpus \(c.cpus.map(CPUList.describe) ?? "allowed set"), "
            + "numa \(c.numa.rawValue), steering \(c.steering.rawValue), ring \(c.ringEntries)x\(c.cqFactor), "
            + "buffers \(c.bufferCount)x\(c.bufferSize) huge_pages \(c.hugePages.rawValue), max_connections \(c.maxConnections), "
            + "limits \(c.limits.maxRequestLine)/\(c.limits.maxHeaderBytes)/\(c.limits.maxHeaderCount)/\(c.limits.maxBodyBytes), "
            + "timeouts \(c.timeouts.idle)/\(c.timeouts.header)/\(c.timeouts.body)/\(c.timeouts.write) s, "
            + "routes \(c.configuredRoutes.map { "\($0.count) configured" } ?? "built-in"), logging \(c.logLevel.rawValue)/\(c.logFormat.rawValue), "
            + "access_log \(c.accessLogPath.map { "\($0) (\(c.accessLogFormat.rawValue))" } ?? "off"), "
            + "user \(c.user ?? "-") group \(c.group ?? "-")"
    }
}
