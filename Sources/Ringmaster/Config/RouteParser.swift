// The `routes` key: a list of objects, so only the file can set it (an environment variable or
// flag holds one scalar). Each entry is checked field by field; an error names the entry
// ("routes[1].status"), the bad value and what is allowed.

/// Reads the `routes` array of the configuration file.
enum RouteParser {
    /// The allowed value of `routes`, for messages.
    static let allowed = "a list of {path, methods, kind: \"static\", status, content_type, body} objects (file only)"
    /// Methods a static route can serve today (the response table answers GET and HEAD).
    static let methods = ["GET", "HEAD"]

    /// Parses `value`; `invalid(key, value, allowed)` builds the error for a field, `source`
    /// names the file in other errors.
    static func parse(_ value: JSONValue, source: String, invalid: (String, String, String) -> ConfigurationError) throws(ConfigurationError) -> [RouteConfiguration] {
        guard case .array(let entries) = value else { throw invalid("routes", value.description, allowed) }
        var routes: [RouteConfiguration] = []
        for (i, entry) in entries.enumerated() {
            let prefix = "routes[\(i)]"
            guard case .object(let fields) = entry else { throw invalid(prefix, entry.description, "an object") }
            let known = ["path", "methods", "kind", "status", "content_type", "body"]
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
                guard case .string("static") = kind else { throw invalid("\(prefix).kind", kind.description, "\"static\"") }
            }
            if let list = fields["methods"] {
                guard case .array(let items) = list, !items.isEmpty else { throw invalid("\(prefix).methods", list.description, "a non-empty list of \"GET\" and \"HEAD\"") }
                var names: [String] = []
                for item in items {
                    guard case .string(let name) = item, methods.contains(name) else {
                        throw invalid("\(prefix).methods", item.description, "\"GET\" or \"HEAD\" (static routes)")
                    }
                    if !names.contains(name) { names.append(name) }
                }
                route.methods = names
            }
            if let status = fields["status"] {
                guard case .integer(let code) = status, (200...599).contains(code) else { throw invalid("\(prefix).status", status.description, "an integer from 200 to 599") }
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
