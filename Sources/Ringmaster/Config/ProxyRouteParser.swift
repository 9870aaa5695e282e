// The fields of a `kind: "proxy"` route: `upstreams` (required), `balance`,
// `connect_timeout_ms`, `read_timeout_s`, `fail_timeout_s`, `max_connections`,
// `trusted_proxies` (CIDRs, parsed here so a request only compares words). Addresses are
// literals (no name lookup at run time: nothing blocks a worker, and a name that resolves
// differently later would change where traffic goes without a reload).

import RingmasterHTTP

enum ProxyRouteParser {
    static let keys = ["upstreams", "balance", "connect_timeout_ms", "read_timeout_s", "fail_timeout_s", "max_connections", "trusted_proxies", "hash_header",
                       "health_check_path", "health_check_interval_s", "health_check_timeout_ms"]

    static func parse(_ fields: [String: JSONValue], prefix: String,
                      invalid: (String, String, String) -> ConfigurationError) throws(ConfigurationError) -> ProxyOptions {
        let allowedAddress = "a non-empty list (at most 64) of \"IPv4:port\", \"[IPv6]:port\" or \"unix:/absolute/path\""
        guard case .array(let items)? = fields["upstreams"], !items.isEmpty, items.count <= 64 else {
            throw invalid("\(prefix).upstreams", fields["upstreams"]?.description ?? "nothing", allowedAddress)
        }
        var upstreams: [UpstreamAddress] = []
        for item in items {
            guard case .string(let text) = item, let address = UpstreamAddress.parse(text) else {
                // A Unix socket entry gets its own rule: sockaddr_un holds 107 path bytes.
                if case .string(let text) = item, text.hasPrefix("unix:") {
                    throw invalid("\(prefix).upstreams", item.description,
                                  "\"unix:\" followed by an absolute path of at most 107 bytes, without NUL")
                }
                throw invalid("\(prefix).upstreams", item.description, allowedAddress)
            }
            upstreams.append(address)
        }
        var options = ProxyOptions(upstreams: upstreams)
        if let value = fields["balance"] {
            guard case .string(let name) = value, let balance = UpstreamBalance(rawValue: name) else {
                throw invalid("\(prefix).balance", value.description, "\"round_robin\", \"least_conn\", \"client_hash\" or \"header_hash\"")
            }
            options.balance = balance
        }
        if let value = fields["hash_header"] {
            guard case .string(let name) = value, !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(ProxyRouteParser.isTokenByte) else {
                throw invalid("\(prefix).hash_header", value.description, "a header field name (a token of at most 64 bytes)")
            }
            options.hashHeader = name.lowercased()
        }
        if let value = fields["health_check_path"] {
            guard case .string(let path) = value, path.hasPrefix("/"), path.utf8.count <= 1024,
                  path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw invalid("\(prefix).health_check_path", value.description, "a request target starting with \"/\" (visible ASCII, at most 1024 bytes)")
            }
            options.healthCheckPath = path
        }
        options.healthCheckIntervalSeconds = try integer(fields, "health_check_interval_s", 1...3600, prefix: prefix, invalid: invalid)
            ?? options.healthCheckIntervalSeconds
        options.healthCheckTimeoutMilliseconds = try integer(fields, "health_check_timeout_ms", 1...60_000, prefix: prefix, invalid: invalid)
            ?? options.healthCheckTimeoutMilliseconds
        if options.balance == .headerHash && options.hashHeader == nil {
            throw invalid("\(prefix).hash_header", "null", "a header field name: balance \"header_hash\" needs one")
        }
        options.connectTimeoutMilliseconds = try integer(fields, "connect_timeout_ms", 1...60_000, prefix: prefix, invalid: invalid)
            ?? options.connectTimeoutMilliseconds
        options.readTimeoutSeconds = try integer(fields, "read_timeout_s", 1...3600, prefix: prefix, invalid: invalid) ?? options.readTimeoutSeconds
        options.failTimeoutSeconds = try integer(fields, "fail_timeout_s", 0...3600, prefix: prefix, invalid: invalid) ?? options.failTimeoutSeconds
        options.maxConnections = try integer(fields, "max_connections", 1...65535, prefix: prefix, invalid: invalid) ?? options.maxConnections
        if let value = fields["trusted_proxies"] {
            let allowed = "a list (at most 64) of CIDRs or addresses: \"10.0.0.0/8\", \"192.0.2.1\", \"2001:db8::/32\""
            guard case .array(let items) = value, items.count <= 64 else {
                throw invalid("\(prefix).trusted_proxies", value.description, allowed)
            }
            for item in items {
                guard case .string(let text) = item, let range = AddressRange.parse(text) else {
                    throw invalid("\(prefix).trusted_proxies", item.description, allowed)
                }
                options.trustedProxies.append(range)
            }
        }
        return options
    }

    /// RFC 9110 §5.6.2 tchar.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func integer(_ fields: [String: JSONValue], _ key: String, _ range: ClosedRange<Int>, prefix: String,
                        invalid: (String, String, String) -> ConfigurationError) throws(ConfigurationError) -> Int? {
        guard let value = fields[key] else { return nil }
        guard case .integer(let n) = value, range.contains(n) else {
            throw invalid("\(prefix).\(key)", value.description, "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
}
