// Reads a JSON configuration file into `ServerConfiguration`, strictly: every key is known,
// every value is checked against its range, and an error names the key, the bad value, the
// allowed values and the file. JSON because it needs no dependency and every tool reads it.
import Glibc

/// Loads and validates configuration files.
public enum ConfigurationLoader {
    /// Parses the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> ServerConfiguration {
        guard let bytes = readFile(path) else {
            throw ConfigurationError(key: "", "cannot read configuration file \(path): \(String(cString: strerror(errno)))")
        }
        return try parse(bytes, source: path)
    }

    /// Parses JSON `bytes`; `source` names them in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws(ConfigurationError) -> ServerConfiguration {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw ConfigurationError(key: "", "\(source): not valid JSON: \(error)")
        }
        guard case .object(let root) = document else { throw ConfigurationError(key: "", "\(source): the top level must be a JSON object") }
        let reader = Reader(source: source)
        var c = ServerConfiguration()
        try reader.checkKeys(root, prefix: "", allowed: ["listen", "workers", "cpus", "numa", "steering", "pin_workers", "server_name", "plaintext_body",
                                                          "ring", "buffers", "max_connections", "limits", "timeouts", "tcp", "shutdown_timeout_ms"])
        if let listen = try reader.object(root, "listen") {
            try reader.checkKeys(listen, prefix: "listen.", allowed: ["host", "port", "backlog"])
            if let host = try reader.string(listen, "listen.host") { c.host = host }
            if let port = try reader.integer(listen, "listen.port", 0...65535) { c.port = port }
            if let backlog = try reader.integer(listen, "listen.backlog", 1...65535) { c.backlog = backlog }
        }
        if let workers = root["workers"] {
            if case .string("auto") = workers {
                c.workers = nil
            } else {
                c.workers = try reader.integer(root, "workers", 1...4096, allowedText: "\"auto\" or an integer from 1 to 4096")
            }
        }
        if let pin = try reader.bool(root, "pin_workers") { c.pinWorkers = pin }
        if let list = try reader.string(root, "cpus") {
            guard let cpus = CPUList.parse(list) else { throw reader.invalid("cpus", "\"\(list)\"", allowed: "a CPU list such as \"0-3,8\"") }
            c.cpus = cpus
        }
        if let numa = try reader.string(root, "numa") {
            guard let policy = NumaPolicy(rawValue: numa) else { throw reader.invalid("numa", "\"\(numa)\"", allowed: "\"auto\" or \"off\"") }
            c.numa = policy
        }
        if let steering = try reader.string(root, "steering") {
            guard let value = Steering(rawValue: steering) else { throw reader.invalid("steering", "\"\(steering)\"", allowed: "\"none\" or \"cpu\"") }
            c.steering = value
        }
        if let name = try reader.string(root, "server_name") {
            guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw reader.invalid("server_name", name, allowed: "1 to 64 visible ASCII characters without spaces")
            }
            c.serverName = name
        }
        if let body = try reader.string(root, "plaintext_body") {
            guard body.utf8.count <= 65536 else { throw reader.invalid("plaintext_body", "\(body.utf8.count) bytes", allowed: "at most 65536 bytes") }
            c.plaintextBody = body
        }
        if let ring = try reader.object(root, "ring") {
            try reader.checkKeys(ring, prefix: "ring.", allowed: ["sq_entries", "cq_factor"])
            if let entries = try reader.powerOfTwo(ring, "ring.sq_entries", 8...32768) { c.ringEntries = UInt32(entries) }
            if let factor = try reader.integer(ring, "ring.cq_factor", 1...16) { c.cqFactor = UInt32(factor) }
        }
        if let buffers = try reader.object(root, "buffers") {
            try reader.checkKeys(buffers, prefix: "buffers.", allowed: ["count", "size", "huge_pages", "max_groups"])
            if let groups = try reader.integer(buffers, "buffers.max_groups", 1...16) { c.bufferGroupsMax = groups }
            if let count = try reader.powerOfTwo(buffers, "buffers.count", 1...32768) { c.bufferCount = UInt32(count) }
            if let size = try reader.integer(buffers, "buffers.size", 512...1_048_576) { c.bufferSize = UInt32(size) }
            if let huge = try reader.string(buffers, "buffers.huge_pages") {
                guard let policy = HugePagePolicy(rawValue: huge) else { throw reader.invalid("buffers.huge_pages", "\"\(huge)\"", allowed: "\"auto\", \"on\" or \"off\"") }
                c.hugePages = policy
            }
        }
        if let max = try reader.integer(root, "max_connections", 16...1_048_576) { c.maxConnections = max }
        if let limits = try reader.object(root, "limits") {
            try reader.checkKeys(limits, prefix: "limits.", allowed: ["request_line", "header_bytes", "header_count", "body_bytes"])
            if let v = try reader.integer(limits, "limits.request_line", 64...65536) { c.limits.maxRequestLine = v }
            if let v = try reader.integer(limits, "limits.header_bytes", 256...65536) { c.limits.maxHeaderBytes = v }
            if let v = try reader.integer(limits, "limits.header_count", 1...1024) { c.limits.maxHeaderCount = v }
            if let v = try reader.integer(limits, "limits.body_bytes", 0...(1 << 40)) { c.limits.maxBodyBytes = UInt64(v) }
        }
        if let timeouts = try reader.object(root, "timeouts") {
            try reader.checkKeys(timeouts, prefix: "timeouts.", allowed: ["idle_s", "header_s", "body_s", "write_s"])
            if let v = try reader.integer(timeouts, "timeouts.idle_s", 1...253) { c.timeouts.idle = UInt8(v) }
            if let v = try reader.integer(timeouts, "timeouts.header_s", 1...253) { c.timeouts.header = UInt8(v) }
            if let v = try reader.integer(timeouts, "timeouts.body_s", 1...253) { c.timeouts.body = UInt8(v) }
            if let v = try reader.integer(timeouts, "timeouts.write_s", 1...253) { c.timeouts.write = UInt8(v) }
        }
        if let tcp = try reader.object(root, "tcp") {
            try reader.checkKeys(tcp, prefix: "tcp.", allowed: ["nodelay", "quickack", "busy_poll_us", "prefer_busy_poll"])
            if let v = try reader.bool(tcp, "tcp.nodelay") { c.tcpNoDelay = v }
            if let v = try reader.bool(tcp, "tcp.quickack") { c.tcpQuickAck = v }
            if let v = try reader.integer(tcp, "tcp.busy_poll_us", 0...1_000_000) { c.napiBusyPollMicroseconds = UInt32(v) }
            if let v = try reader.bool(tcp, "tcp.prefer_busy_poll") { c.napiPreferBusyPoll = v }
        }
        if let t = try reader.integer(root, "shutdown_timeout_ms", 0...3_600_000) { c.shutdownTimeoutMilliseconds = t }
        return c
    }

    /// The whole file, or nil (errno set) when it cannot be read.
    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[0..<n]
            if n < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}

/// Typed access to JSON values with precise errors.
struct Reader {
    let source: String

    func invalid(_ key: String, _ value: Any, allowed: String) -> ConfigurationError {
        ConfigurationError(key: key, "\(source): invalid value \(value) for \(key): allowed: \(allowed)")
    }

    func checkKeys(_ object: [String: JSONValue], prefix: String, allowed: [String]) throws(ConfigurationError) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw ConfigurationError(key: prefix + key, "\(source): unknown key \(prefix + key): allowed keys here: \(allowed.map { prefix + $0 }.joined(separator: ", "))")
        }
    }

    private func last(_ key: String) -> String { String(key.split(separator: ".").last ?? Substring(key)) }

    func object(_ parent: [String: JSONValue], _ key: String) throws(ConfigurationError) -> [String: JSONValue]? {
        guard let value = parent[last(key)] else { return nil }
        guard case .object(let object) = value else { throw invalid(key, value.description, allowed: "an object") }
        return object
    }

    func string(_ parent: [String: JSONValue], _ key: String) throws(ConfigurationError) -> String? {
        guard let value = parent[last(key)] else { return nil }
        guard case .string(let text) = value else { throw invalid(key, value.description, allowed: "a string") }
        return text
    }

    func bool(_ parent: [String: JSONValue], _ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = parent[last(key)] else { return nil }
        guard case .bool(let flag) = value else { throw invalid(key, value.description, allowed: "true or false") }
        return flag
    }

    func integer(_ parent: [String: JSONValue], _ key: String, _ range: ClosedRange<Int>, allowedText: String? = nil) throws(ConfigurationError) -> Int? {
        guard let value = parent[last(key)] else { return nil }
        let allowed = allowedText ?? "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .integer(let int) = value, range.contains(int) else { throw invalid(key, value.description, allowed: allowed) }
        return int
    }

    func powerOfTwo(_ parent: [String: JSONValue], _ key: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        let allowed = "a power of two from \(range.lowerBound) to \(range.upperBound)"
        guard let value = try integer(parent, key, range, allowedText: allowed) else { return nil }
        guard value & (value - 1) == 0 else { throw invalid(key, value, allowed: allowed) }
        return value
    }
}
