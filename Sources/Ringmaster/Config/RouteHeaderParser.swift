// The `headers` of a route: extra response header lines such as Cache-Control or
// Content-Security-Policy. Checked as strictly as a handler's headers: token names, values of
// visible characters (no CR or LF, so no line can be injected), and none of the fields the
// server writes itself.
import RingmasterHTTP

enum RouteHeaderParser {
    /// Fields the worker writes on every response; a route cannot set or repeat them.
    static let reserved: Set<String> = ["content-length", "transfer-encoding", "connection", "date", "server", "content-type",
                                        "etag", "last-modified", "content-range", "accept-ranges", "content-encoding", "vary",
                                        "location", "allow"]

    static func parse(_ value: JSONValue, key: String,
                      invalid: (String, String, String) -> ConfigurationError) throws(ConfigurationError) -> [String: String] {
        guard case .object(let fields) = value else { throw invalid(key, value.description, "an object of header names to string values") }
        var headers: [String: String] = [:]
        var total = 0
        for name in fields.keys.sorted() {
            guard !name.isEmpty, name.utf8.allSatisfy(ASCII.isTokenChar) else {
                throw invalid(key, "\"\(name)\"", "header names made of token characters (RFC 9110 §5.1)")
            }
            guard !reserved.contains(name.lowercased()) else {
                throw invalid("\(key).\(name)", "\"\(name)\"", "a header the server does not write itself (not \(reserved.sorted().joined(separator: ", ")))")
            }
            guard case .string(let text)? = fields[name], text.utf8.allSatisfy(ASCII.isFieldValueChar),
                  text.first != " ", text.last != " " else {
                throw invalid("\(key).\(name)", fields[name]!.description, "a string of visible characters and inner spaces (no CR, LF or other control bytes)")
            }
            total += name.utf8.count + text.utf8.count + 4
            headers[name] = text
        }
        guard total <= 4096 else { throw invalid(key, "\(total) bytes of header lines", "at most 4096 bytes of header lines") }
        return headers
    }
}
