// What the proxy tells an operator: the access log's upstream fields (JSON `upstream_addr`,
// `upstream_time_us`; combined unchanged) and the per-upstream families of /metrics, against
// Python upstreams (Support/upstream.py) on ports 18700-18749.
import Foundation
import Glibc
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct ProxyObservabilityTests {
    /// A proxy route /app/ to `upstreams` and a local route /local, logging to `log` in `format`.
    func server(_ upstreams: [String], log: String? = nil, format: AccessLogFormat = .json, workers: Int = 1,
                options: (inout ProxyOptions) -> Void = { _ in }) throws -> TestServer {
        let route = RouteConfiguration.proxy(upstreams, options: options)
        var c = TestServer.configuration()
        c.configuredRoutes = [route, RouteConfiguration(path: "/local", body: "local\n"),
                              RouteConfiguration(path: "/metrics", methods: ["GET"], kind: "metrics", body: "")]
        c.workers = workers
        c.accessLogPath = log
        c.accessLogFormat = format
        return try TestServer(c)
    }

    func logPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-proxylog-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path + "/access.log"
    }

    /// The file's lines once there are `count` (or after 3 s).
    func waitForLines(_ path: String, count: Int) -> [String] {
        let deadline = Date().addingTimeInterval(3)
        var found: [String] = []
        repeat {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").map(String.init)
            if found.count >= count { break }
            usleep(20_000)
        } while Date() < deadline
        return found
    }

    @Test func jsonLinesNameTheUpstreamAndItsTime() throws {
        let upstream = try Upstream(port: 18700)
        defer { withExtendedLifetime(upstream) {} }
        let path = try logPath()
        let server = try server(["127.0.0.1:18700"], log: path)
        let client = try server.client()
        #expect(try client.get("/app/slow?ms=120").status == 200)
        #expect(try client.get("/local").status == 200)
        let lines = waitForLines(path, count: 2)
        #expect(lines.count == 2)
        guard lines.count == 2 else { return }
        let proxied = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any] ?? [:]
        #expect(proxied["upstream_addr"] as? String == "127.0.0.1:18700")
        let time = proxied["upstream_time_us"] as? Int ?? -1
        #expect(time >= 120_000 && time < 5_000_000, "upstream_time_us \(time)")
        let local = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any] ?? [:]
        #expect(local["upstream_addr"] is NSNull && local["upstream_time_us"] is NSNull, "\(lines[1])")
    }

    /// A 502 names the last upstream tried; a 503 that tried none names none.
    @Test func failuresNameTheUpstreamTriedOrNone() throws {
        let path = try logPath()
        let server = try server(["127.0.0.1:18701", "127.0.0.1:18702"], log: path) { $0.failTimeoutSeconds = 30 }
        let client = try server.client()
        #expect(try client.get("/app/x").status == 502)
        #expect(try client.get("/app/x").status == 503)
        let lines = waitForLines(path, count: 2)
        #expect(lines.count == 2)
        guard lines.count == 2 else { return }
        let failed = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any] ?? [:]
        let tried = failed["upstream_addr"] as? String
        #expect(tried == "127.0.0.1:18701" || tried == "127.0.0.1:18702", "\(lines[0])")
        #expect(failed["upstream_time_us"] is Int)
        let none = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any] ?? [:]
        #expect(none["upstream_addr"] is NSNull, "\(lines[1])")
    }

    /// combined stays exactly nginx's combined for a proxied request.
    @Test func combinedLinesAreUnchangedForProxiedRequests() throws {
        let upstream = try Upstream(port: 18703)
        defer { withExtendedLifetime(upstream) {} }
        let path = try logPath()
        let server = try server(["127.0.0.1:18703"], log: path, format: .combined)
        let client = try server.client()
        #expect(try client.get("/app/name").status == 200)
        let lines = waitForLines(path, count: 1)
        #expect(lines.count == 1)
        guard let line = lines.first else { return }
        #expect(line.hasPrefix("127.0.0.1 - - [") && line.hasSuffix(#"] "GET /app/name HTTP/1.1" 200 8 "-" "-""#), "\(line)")
    }

    /// The value of the sample `name{labels}` in an exposition, nil when absent.
    func sample(_ text: String, _ name: String, _ labels: String) -> Double? {
        let prefix = name + "{" + labels + "} "
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return Double(line.dropFirst(prefix.count))
    }

    /// Per-upstream families, exact on one worker: round robin over a live and a dead upstream
    /// (the dead one fails its connect once, is marked down and retried on the live one).
    @Test func metricsCountPerUpstream() throws {
        let live = try Upstream(port: 18710)
        defer { withExtendedLifetime(live) {} }
        let server = try server(["127.0.0.1:18710", "127.0.0.1:18711"]) { $0.failTimeoutSeconds = 30 }
        let client = try server.client()
        for _ in 0..<4 { #expect(try client.get("/app/name").status == 200) }
        let text = try client.get("/metrics").bodyText
        let a = #"upstream="127.0.0.1:18710""#, b = #"upstream="127.0.0.1:18711""#
        #expect(sample(text, "ringmaster_upstream_server_requests_total", a) == 4)
        #expect(sample(text, "ringmaster_upstream_server_requests_total", b) == 1)
        #expect(sample(text, "ringmaster_upstream_server_errors_total", b + #",kind="connect""#) == 1)
        #expect(sample(text, "ringmaster_upstream_server_errors_total", a + #",kind="connect""#) == 0)
        #expect(sample(text, "ringmaster_upstream_server_errors_total", a + #",kind="protocol""#) == 0)
        #expect(sample(text, "ringmaster_upstream_server_up", a) == 1)
        #expect(sample(text, "ringmaster_upstream_server_up", b) == 0, "marked down by its failed connect")
        #expect(sample(text, "ringmaster_upstream_server_connections", a) == 1, "one pooled keep-alive connection")
        #expect(sample(text, "ringmaster_upstream_server_connections", b) == 0)
        #expect(sample(text, "ringmaster_upstream_server_response_seconds_count", a) == 4)
        #expect(sample(text, "ringmaster_upstream_server_response_seconds_bucket", a + #",le="10""#) == 4)
        #expect(sample(text, "ringmaster_upstream_server_response_seconds_count", b) == 0)
        // A reset: the pooled connection's EOF is retried on a fresh one, which resets too.
        #expect(try client.get("/app/reset").status == 502)
        let after = try client.get("/metrics").bodyText
        #expect((sample(after, "ringmaster_upstream_server_errors_total", a + #",kind="protocol""#) ?? 0) >= 1)
        #expect(sample(after, "ringmaster_upstream_server_connections", a) == 0, "both broken connections closed")
    }

    /// Summed over two workers; a read timeout counts as kind="timeout".
    @Test func metricsSumOverWorkersAndCountTimeouts() throws {
        let upstream = try Upstream(port: 18712)
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(["127.0.0.1:18712"], workers: 2) { $0.readTimeoutSeconds = 1 }
        for _ in 0..<6 { #expect(try server.client().get("/app/name").status == 200) }
        #expect(try server.client().get("/app/slow?ms=2500").status == 504)
        let text = try server.client().get("/metrics").bodyText
        let a = #"upstream="127.0.0.1:18712""#
        #expect(sample(text, "ringmaster_upstream_server_requests_total", a) == 7)
        #expect(sample(text, "ringmaster_upstream_server_errors_total", a + #",kind="timeout""#) == 1)
        #expect(sample(text, "ringmaster_upstream_server_response_seconds_count", a) == 6)
        #expect(sample(text, "ringmaster_upstream_server_up", a) == 1, "a group of one is never marked down")
    }
}
