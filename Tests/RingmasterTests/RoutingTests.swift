// The router and /metrics over real sockets: configured exact and prefix routes, 404 and 405
// with Allow, redirects, and a Prometheus exposition that parses and counts what was done.
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct RoutingTests {
    func routedServer() throws -> TestServer {
        var c = TestServer.configuration()
        c.configuredRoutes = [
            RouteConfiguration(path: "/api", methods: ["GET", "POST"], body: "api\n"),
            RouteConfiguration(path: "/static/", body: "files\n").with { $0.match = "prefix" },
            RouteConfiguration(path: "/old", kind: "redirect", status: 301, body: "").with { $0.location = "/new" },
            RouteConfiguration(path: "/metrics", kind: "metrics", body: ""),
        ]
        return try TestServer(c)
    }

    @Test func configuredRoutesMethodsAndRedirects() throws {
        let server = try routedServer()
        let c = try server.client()
        try c.send("POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
        #expect(try c.readResponse().bodyText == "api\n")
        try c.send("GET /static/css/site.css HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().bodyText == "files\n")
        try c.send("DELETE /api HTTP/1.1\r\nHost: a\r\n\r\n")
        let denied = try c.readResponse()
        #expect(denied.status == 405)
        #expect(denied.header("Allow") == "GET, HEAD, POST")
        try c.send("GET /old HTTP/1.1\r\nHost: a\r\n\r\n")
        let moved = try c.readResponse()
        #expect(moved.status == 301)
        #expect(moved.header("Location") == "/new")
        try c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().status == 404, "configured routes replace the built-ins")
    }

    @Test func parseErrorsAreCountedByKind() throws {
        let server = try routedServer()
        let bad = ["GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", "GET / HTTP/3.0\r\nHost: a\r\n\r\n",
                   "GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: a\r\n\r\n",
                   "POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
                   "GET / HTTP/1.1\r\nHost: a\r\nBad Header: y\r\n\r\n"]
        for request in bad {
            let c = try server.client()
            try c.send(request)
            _ = try c.readResponse()
        }
        let c = try server.client()
        try c.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        let samples = try parseExposition(try c.readResponse().bodyText)
        #expect(samples["ringmaster_parse_errors_total{kind=\"malformed\"}"] == 2)
        #expect(samples["ringmaster_parse_errors_total{kind=\"version\"}"] == 1)
        #expect(samples["ringmaster_parse_errors_total{kind=\"target_too_long\"}"] == 1)
        #expect(samples["ringmaster_parse_errors_total{kind=\"not_implemented\"}"] == 1)
        #expect(samples["ringmaster_parse_errors_total{kind=\"timeout\"}"] == 0)
    }

    @Test func metricsParseAndCountWhatHappened() throws {
        let server = try routedServer()
        let c = try server.client()
        for _ in 0..<5 {
            try c.send("GET /api HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try c.readResponse()
        }
        try c.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try c.readResponse()
        let bad = try server.client()
        try bad.send("GET / HTTP/9.9\r\nHost: a\r\n\r\n")
        _ = try bad.readResponse()
        try c.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try c.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let samples = try parseExposition(response.bodyText)
        // 5 to /api, the 404 and this scrape; the rejected head is a parse error, not a request.
        #expect(samples["ringmaster_requests_total"] == 7)
        #expect(samples["ringmaster_responses_total{code=\"2xx\"}"] == 6, "this scrape's 200 is counted before it is written")
        #expect(samples["ringmaster_responses_total{code=\"4xx\"}"] == 1)
        #expect(samples["ringmaster_responses_total{code=\"5xx\"}"] == 1, "HTTP/9.9 gets 505")
        #expect(samples["ringmaster_parse_errors_total{kind=\"version\"}"] == 1, "HTTP/9.9 is a version error")
        #expect(samples["ringmaster_parse_errors_total{kind=\"malformed\"}"] == 0)
        #expect(samples["ringmaster_connections_accepted_total"] == 2)
        #expect(samples["ringmaster_connections_active"] ?? 0 >= 1)
        #expect(samples["ringmaster_loop_completions_count"] ?? 0 > 0)
        #expect(samples["ringmaster_loop_completions_bucket{le=\"+Inf\"}"] == samples["ringmaster_loop_completions_count"])
    }
}

/// Parses Prometheus text exposition: every non-comment line is `name{labels} value`;
/// HELP/TYPE comments precede their samples. Throws on a line that does not parse; returns
/// the integer samples (`PrometheusParser` checks the whole text with a real parser).
func parseExposition(_ text: String) throws -> [String: UInt64] {
    var samples: [String: UInt64] = [:]
    var declared: Set<String> = []
    for line in text.split(separator: "\n") {
        if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            guard parts.count >= 4 else { throw TestClientError.malformed(String(line)) }
            declared.insert(String(parts[2]))
            continue
        }
        let fields = line.split(separator: " ")
        guard fields.count == 2, Double(fields[1]) != nil || fields[1] == "+Inf" else { throw TestClientError.malformed(String(line)) }
        // Fractional samples (process CPU seconds, durations' sums) parse but are not kept.
        guard let value = UInt64(fields[1]) else { continue }
        let key = String(fields[0])
        let family = key.split(separator: "{").first.map(String.init) ?? key
        let base = ["_bucket", "_sum", "_count"].reduce(family) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
        guard declared.contains(family) || declared.contains(base) else { throw TestClientError.malformed("undeclared \(family)") }
        samples[key] = value
    }
    return samples
}

extension RouteConfiguration {
    func with(_ change: (inout RouteConfiguration) -> Void) -> RouteConfiguration {
        var copy = self
        change(&copy)
        return copy
    }
}
