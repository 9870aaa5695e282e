// The `routes` key: a list of objects, so only the file can set it (an environment variable or
// flag holds one scalar). Each entry is checked field by field; an error names the entry
// ("routes[1].status"), the bad value and what is allowed.

/// Reads the `routes` array of the configuration file.
enum RouteParser {
    /// The allowed value of `routes`, for messages.
    static let allowed = "a list of {path, match, methods, kind, status, content_type, body, location, headers, root, index, symlinks, precompressed, upstreams, balance, connect_timeout_ms, read_timeout_s, fail_timeout_s, max_connections} objects (file only)"
    /// Methods a route can name.
    static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
    /// Route kinds: a fixed answer, the metrics exposition, or a redirect.
    static let kinds = ["static", "metrics", "redirect", "health", "directory", "proxy"]

    /// Parses `value`; `invalid(key, value, allowed)` builds the error for a field, `source`
    /// names the file in other errors.
    static func parse(_ value: JSONValue, source: String, invalid: (String, String, String) -> ConfigurationError) throws(ConfigurationError) -> [RouteConfiguration] {
        guard case .array(let entries) = value else { throw invalid("routes", value.description, allowed) }
        // Route numbers travel in one byte of the connection record.
        guard entries.count <= 250 else { throw invalid("routes", "\(entries.count) routes", "at most 250 routes") }
        var routes: [RouteConfiguration] = []
        for (i, entry) in entries.enumerated() {
            let prefix = "routes[\(i)]"
            guard case .object(let fields) = entry else { throw invalid(prefix, entry.description, "an object") }
            let known = ["path", "match", "methods", "kind", "status", "content_type", "body", "location", "headers",
                         "root", "index", "symlinks", "precompressed"] + ProxyRouteParser.keys
            for key in fields.keys.sorted() where !known.contains(key) {
                throw ConfigurationError(key: "\(prefix).\(key)", "\(source): unknown key \(prefix).\(key): allowed keys here: \(known.joined(separator: ", "))")
            }
            guard case .string(let path)? = fields["path"], path.first == "/", path.utf8.count <= 1024,
                  path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw invalid("\(prefix).path", fields["path"]?.description ?? "nothing", "a path starting with \"/\" (visible ASCII, at most 1024 bytes)")
            }
            guard !routes.contains(where: { $0.path == path }) else { throw invalid("\(prefix).path", "\"\(path)\"", "a path no earlier route uses") }
            var route = RouteConfiguration(path: path, body: "")
            if let kind = fields["kind"] {
                guard case .string(let name) = kind, kinds.contains(name) else {
                    throw invalid("\(prefix).kind", kind.description, "\"static\", \"metrics\", \"redirect\", \"health\", \"directory\" or \"proxy\"")
                }
                route.kind = name
            }
            if let match = fields["match"] {
                guard case .string(let name) = match, name == "exact" || name == "prefix" else {
                    throw invalid("\(prefix).match", match.description, "\"exact\" or \"prefix\"")
                }
                route.match = name
            }
            if route.kind == "redirect" {
                guard case .string(let location)? = fields["location"], !location.isEmpty, location.utf8.count <= 1024,
                      location.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                    throw invalid("\(prefix).location", fields["location"]?.description ?? "nothing", "a URL or path (visible ASCII, at most 1024 bytes) for a redirect")
                }
                route.location = location
                route.status = 302
            } else if let location = fields["location"] {
                throw invalid("\(prefix).location", location.description, "nothing: only redirect routes take a location")
            }
            if route.kind == "directory" {
                route.directory = try DirectoryRouteParser.parse(fields, prefix: prefix, invalid: invalid)
                route.match = "prefix"
            } else if let key = ["root", "index", "symlinks", "precompressed"].first(where: { fields[$0] != nil }) {
                throw invalid("\(prefix).\(key)", fields[key]!.description, "nothing: only directory routes take \(key)")
            }
            if route.kind == "proxy" {
                route.proxy = try ProxyRouteParser.parse(fields, prefix: prefix, invalid: invalid)
                // Every method by default: the application behind decides what it serves.
                route.methods = methods
            } else if let key = ProxyRouteParser.keys.first(where: { fields[$0] != nil }) {
                throw invalid("\(prefix).\(key)", fields[key]!.description, "nothing: only proxy routes take \(key)")
            }
            if let headers = fields["headers"] {
                guard route.kind != "metrics" && route.kind != "proxy" else {
                    throw invalid("\(prefix).headers", headers.description, "nothing: \(route.kind) routes take no headers")
                }
                route.headers = try RouteHeaderParser.parse(headers, key: "\(prefix).headers", invalid: invalid)
            }
            if let list = fields["methods"] {
                guard case .array(let items) = list, !items.isEmpty else { throw invalid("\(prefix).methods", list.description, "a non-empty list of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH") }
                var names: [String] = []
                for item in items {
                    guard case .string(let name) = item, methods.contains(name) else {
                        throw invalid("\(prefix).methods", item.description, "one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH")
                    }
                    if !names.contains(name) { names.append(name) }
                }
                route.methods = names
            }
            if let status = fields["status"] {
                let range = route.kind == "redirect" ? 300...399 : 200...599
                guard case .integer(let code) = status, range.contains(code) else {
                    throw invalid("\(prefix).status", status.description, "an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                route.status = code
            }
            if let type = fields["content_type"] {
                guard case .string(let text) = type, !text.isEmpty, text.utf8.count <= 128, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                    throw invalid("\(prefix).content_type", type.description, "a media type of at most 128 visible ASCII characters")
                }
                route.contentType = text
            }
            if let body = fields["body"] {
                guard case .string(let text) = body, text.utf8.count <= 65536 else {
                    throw invalid("\(prefix).body", body.description, "a string of at most 65536 bytes")
                }
                route.body = text
            }
            routes.append(route)
        }
        return routes
    }
}
