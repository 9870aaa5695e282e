// Every configuration key, in the order `check-config` prints them, with its range and
// whether SIGHUP can apply it. Names and ranges are the documented ones (docs/configuration.md
// and config/ringmaster.json); other code and tests rely on them.
import RingmasterHTTP
import Logging

extension ConfigurationKey {
    /// The keys a running server can take without a restart: they reach the workers through
    /// `HotSettings` (limits, timeouts, routes and their bodies, the Server header) or the log
    /// handler (logging).
    public static var all: [ConfigurationKey] {
        [
            .text("listen.host", allowed: "an IPv4 or IPv6 address", hot: false, valid: { !$0.isEmpty }, \.host),
            .integer("listen.port", 0...65535, hot: false, set: { $0.port = $1 }, get: \.port),
            .integer("listen.backlog", 1...65535, hot: false, set: { $0.backlog = $1 }, get: \.backlog),
            .flag("listen.shared", hot: false, \.listenShared),
            .flag("listen.proxy_protocol", hot: false, \.proxyProtocol),
            ConfigurationKey(name: "listen.real_ip_from", allowed: "\"CIDR,CIDR\": up to 64 load balancer ranges or addresses whose listen.real_ip_header names the client (\"10.0.0.0/8,2001:db8::/32\"), or \"\" for none", hot: false,
                             apply: { raw, c in
                                 guard let text = raw.string else { return false }
                                 var ranges: [AddressRange] = []
                                 for part in text.split(separator: ",") {
                                     guard let range = AddressRange.parse(String(part.filter { $0 != " " })) else { return false }
                                     ranges.append(range)
                                 }
                                 guard ranges.count <= 64 else { return false }
                                 c.realIPFrom = ranges
                                 return true
                             },
                             render: { quoted($0.realIPFrom.map(\.description).joined(separator: ",")) }),
            .text("listen.real_ip_header", allowed: "a header field name (a token), such as X-Forwarded-For or X-Real-IP", hot: false,
                  valid: { !$0.isEmpty && $0.utf8.count <= 64 && $0.utf8.allSatisfy(ProxyRouteParser.isTokenByte) }, \.realIPHeader),
            // TLS (docs/tls.md): turning it on or off needs a restart (ReloadPlan); the files,
            // protocols and ciphers reload, and every SIGHUP re-reads the files.
            .optionalText("tls.certificate", allowed: "a PEM certificate chain file", hot: true, valid: { !$0.isEmpty && !$0.utf8.contains(0) }, \.tls.certificate),
            .optionalText("tls.key", allowed: "a PEM private key file (null: the key is in tls.certificate)", hot: true,
                          valid: { !$0.isEmpty && !$0.utf8.contains(0) }, \.tls.key),
            ConfigurationKey(name: "tls.more_certificates", allowed: "\"CHAIN:KEY,CHAIN:KEY\": PEM file pairs SNI chooses among by name", hot: true,
                             apply: { raw, c in
                                 guard let text = raw.string, let more = TLSSettings.parseMore(text) else { return false }
                                 c.tls.more = more
                                 return true
                             },
                             render: { quoted($0.tls.more.map { "\($0.chain):\($0.key)" }.joined(separator: ",")) }),
            .choice("tls.protocols", hot: true, \.tls.protocols),
            .text("tls.ciphers", allowed: "an OpenSSL cipher list for TLS 1.2", hot: true, valid: { !$0.isEmpty && $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } }, \.tls.ciphers),
            .integer("tls.handshake_timeout_s", 1...253, hot: true, set: { $0.timeouts.handshake = UInt8($1) }, get: { Int($0.timeouts.handshake) }),
            .integer("tls.ticket_rotation_s", 60...604_800, hot: false, set: { $0.tls.ticketRotationSeconds = $1 }, get: \.tls.ticketRotationSeconds),
            ConfigurationKey(name: "tls.plain_port", allowed: "an integer from 0 to 65535 (a plain-HTTP port beside the TLS one; 0: ephemeral) or null", hot: false,
                             apply: { raw, c in
                                 if case .json(.null) = raw { c.tls.plainPort = nil; return true }
                                 guard let v = raw.integer, (0...65535).contains(v) else { return false }
                                 c.tls.plainPort = v
                                 return true
                             },
                             render: { $0.tls.plainPort.map(String.init) ?? "null" }),
            .choice("tls.plain", hot: false, \.tls.plainAnswer),
            ConfigurationKey(name: "workers", allowed: "\"auto\" or an integer from 1 to 4096", hot: false,
                             apply: { raw, c in
                                 if raw.string == "auto" { c.workers = nil; return true }
                                 guard let n = raw.integer, (1...4096).contains(n) else { return false }
                                 c.workers = n
                                 return true
                             },
                             render: { $0.workers.map { "\($0)" } ?? "\"auto\"" }),
            ConfigurationKey(name: "cpus", allowed: "a CPU list such as \"0-3,8\", or null for every allowed CPU", hot: false,
                             apply: { raw, c in
                                 if case .json(.null) = raw { c.cpus = nil; return true }
                                 guard let text = raw.string, let cpus = CPUList.parse(text) else { return false }
                                 c.cpus = cpus
                                 return true
                             },
                             render: { $0.cpus.map { quoted(CPUList.describe($0)) } ?? "null" }),
            .choice("numa", hot: false, \.numa),
            .choice("steering", hot: false, \.steering),
            .flag("pin_workers", hot: false, \.pinWorkers),
            .text("server_name", allowed: "1 to 64 visible ASCII characters without spaces", hot: true,
                  valid: { !$0.isEmpty && $0.utf8.count <= 64 && $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } }, \.serverName),
            .text("plaintext_body", allowed: "at most 65536 bytes", hot: true, valid: { $0.utf8.count <= 65536 }, \.plaintextBody),
            .powerOfTwo("ring.sq_entries", 8...32768, hot: false, set: { $0.ringEntries = UInt32($1) }, get: { Int($0.ringEntries) }),
            .integer("ring.cq_factor", 1...16, hot: false, set: { $0.cqFactor = UInt32($1) }, get: { Int($0.cqFactor) }),
            .powerOfTwo("buffers.count", 1...32768, hot: false, set: { $0.bufferCount = UInt32($1) }, get: { Int($0.bufferCount) }),
            .integer("buffers.size", 512...1_048_576, hot: false, set: { $0.bufferSize = UInt32($1) }, get: { Int($0.bufferSize) }),
            .choice("buffers.huge_pages", hot: false, \.hugePages),
            .integer("buffers.max_groups", 1...16, hot: false, set: { $0.bufferGroupsMax = $1 }, get: \.bufferGroupsMax),
            .integer("max_connections", 16...1_048_576, hot: false, set: { $0.maxConnections = $1 }, get: \.maxConnections),
            .integer("limits.request_line", 64...65536, hot: true, set: { $0.limits.maxRequestLine = $1 }, get: \.limits.maxRequestLine),
            .integer("limits.header_bytes", 256...65536, hot: true, set: { $0.limits.maxHeaderBytes = $1 }, get: \.limits.maxHeaderBytes),
            .integer("limits.header_count", 1...1024, hot: true, set: { $0.limits.maxHeaderCount = $1 }, get: \.limits.maxHeaderCount),
            .integer("limits.body_bytes", 0...(1 << 40), hot: true, set: { $0.limits.maxBodyBytes = UInt64($1) }, get: { Int($0.limits.maxBodyBytes) }),
            .integer("timeouts.idle_s", 1...253, hot: true, set: { $0.timeouts.idle = UInt8($1) }, get: { Int($0.timeouts.idle) }),
            .integer("timeouts.header_s", 1...253, hot: true, set: { $0.timeouts.header = UInt8($1) }, get: { Int($0.timeouts.header) }),
            .integer("timeouts.body_s", 1...253, hot: true, set: { $0.timeouts.body = UInt8($1) }, get: { Int($0.timeouts.body) }),
            .integer("timeouts.write_s", 1...253, hot: true, set: { $0.timeouts.write = UInt8($1) }, get: { Int($0.timeouts.write) }),
            .integer("timeouts.linger_s", 0...253, hot: true, set: { $0.timeouts.linger = UInt8($1) }, get: { Int($0.timeouts.linger) }),
            .integer("limits.linger_bytes", 0...(1 << 31), hot: true, set: { $0.timeouts.lingerBytes = UInt32($1) }, get: { Int($0.timeouts.lingerBytes) }),
            .flag("tcp.nodelay", hot: false, \.tcpNoDelay),
            .flag("tcp.quickack", hot: false, \.tcpQuickAck),
            .integer("tcp.busy_poll_us", 0...1_000_000, hot: false, set: { $0.napiBusyPollMicroseconds = UInt32($1) },
                     get: { Int($0.napiBusyPollMicroseconds) }),
            .flag("tcp.prefer_busy_poll", hot: false, \.napiPreferBusyPoll),
            .integer("files.cache_bytes", 0...(1 << 34), hot: false, set: { $0.fileCacheBytes = $1 }, get: \.fileCacheBytes),
            .integer("files.cache_file_max", 0...(1 << 30), hot: false, set: { $0.fileCacheMaxFile = $1 }, get: \.fileCacheMaxFile),
            .integer("files.streams", 1...60000, hot: false, set: { $0.maxStreams = $1 }, get: \.maxStreams),
            .flag("files.sendfile", hot: false, \.fileSendfile),
            .powerOfTwo("files.read_bytes", 4096...(4 << 20), hot: false, set: { $0.streamReadBytes = $1 }, get: \.streamReadBytes),
            .integer("shutdown_timeout_ms", 0...3_600_000, hot: false, set: { $0.shutdownTimeoutMilliseconds = $1 }, get: \.shutdownTimeoutMilliseconds),
            .choice("logging.level", hot: true, \.logLevel),
            .choice("logging.format", hot: true, \.logFormat),
            // Restart-only: the workers size their log buffers at start. SIGHUP reopens the
            // running file (log rotation) whatever the reload decides.
            .optionalText("access_log.path", allowed: "a file path", hot: false, valid: { !$0.isEmpty && !$0.utf8.contains(0) }, \.accessLogPath),
            .choice("access_log.format", hot: false, \.accessLogFormat),
            .flag("metrics.request_duration", hot: false, \.recordRequestDurations),
            .flag("metrics.worker_label", hot: false, \.metricsWorkerLabel),
            .optionalText("user", allowed: "a user name from the password database", hot: false, valid: { !$0.isEmpty }, \.user),
            .optionalText("group", allowed: "a group name from the group database", hot: false, valid: { !$0.isEmpty }, \.group),
            ConfigurationKey(name: "routes", allowed: RouteParser.allowed, hot: true,
                             apply: { _, _ in false }, // Only the file can hold a list of objects: see RouteParser.
                             render: { c in c.configuredRoutes.map { "[" + $0.map(\.summary).joined(separator: "; ") + "]" } ?? "built-in [GET,HEAD / ; GET,HEAD /plaintext ; GET,HEAD /healthz ; GET,HEAD /metrics]" }),
        ]
    }

    /// The key named `name`, if there is one.
    public static func named(_ name: String) -> ConfigurationKey? {
        all.first { $0.name == name }
    }
}
