// Where the proxy connects and whom it names: Unix-socket upstreams (a Python upstream on a
// socket path, Support/upstream.py unix:PATH), and X-Forwarded-For with and without trusted
// proxies. Upstreams on ports 18750-18799 or socket paths under the temporary directory.
import Foundation
import Glibc
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct ProxyAddressTests {
    func server(_ upstreams: [String], options: (inout ProxyOptions) -> Void = { _ in }) throws -> TestServer {
        var proxy = ProxyOptions(upstreams: upstreams.map { UpstreamAddress.parse($0)! })
        options(&proxy)
        var route = RouteConfiguration(path: "/app/", methods: RouteParser.methods, kind: "proxy", body: "")
        route.match = "prefix"
        route.proxy = proxy
        var c = TestServer.configuration()
        c.configuredRoutes = [route, RouteConfiguration(path: "/metrics", methods: ["GET"], kind: "metrics", body: "")]
        return try TestServer(c)
    }

    /// A socket path in the temporary directory, with a quote to exercise label escaping.
    func socketPath() -> String {
        FileManager.default.temporaryDirectory.path + "/rm-\(UUID().uuidString.prefix(6))\"up.sock"
    }

    @Test func aUnixSocketUpstreamServesEveryFraming() throws {
        let path = socketPath()
        let upstream = try Upstream(name: "unix", unixPath: path)
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(["unix:" + path])
        let client = try server.client()
        #expect(try client.get("/app/name").bodyText == "unix")
        let first = try client.get("/app/conn").bodyText
        #expect(try client.get("/app/conn").bodyText == first, "the idle Unix connection is reused")
        let big = try client.get("/app/big?n=300000")
        #expect(big.body.count == 300_000 && big.body.enumerated().allSatisfy { $0.element == UInt8($0.offset % 251) })
        try client.send("POST /app/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try client.readResponse().bodyText.hasPrefix("5 "))
        let echo = try client.get("/app/echo").bodyText
        #expect(echo.contains("x-forwarded-for: 127.0.0.1"), "the client is named whatever the upstream's transport")
        // The label is the configured address, escaped.
        let metrics = try client.get("/metrics").bodyText
        let escaped = ("unix:" + path).replacingOccurrences(of: "\"", with: "\\\"")
        #expect(metrics.contains("ringmaster_upstream_server_requests_total{upstream=\"\(escaped)\"} 6"), "\(escaped)")
    }

    @Test func aMissingSocketIs502() throws {
        let server = try server(["unix:" + socketPath()])
        #expect(try server.client().get("/app/name").status == 502)
    }

    @Test func unixUpstreamsAreChecked() throws {
        let good = try ConfigurationLoader.parse(Array(#"{"routes": [{"path": "/a/", "kind": "proxy", "upstreams": ["unix:/run/app.sock"]}]}"#.utf8), source: "t.json")
        #expect(good.configuredRoutes?.first?.proxy?.upstreams == [.unix("/run/app.sock")])
        let long = "unix:/" + String(repeating: "a", count: 107)
        for entry in ["unix:run/app.sock", "unix:", long] {
            do {
                _ = try ConfigurationLoader.parse(Array(#"{"routes": [{"path": "/a/", "kind": "proxy", "upstreams": ["\#(entry)"]}]}"#.utf8), source: "t.json")
                Issue.record("accepted \(entry)")
            } catch {
                #expect(error.key == "routes[0].upstreams", "\(entry): \(error)")
                #expect(error.description.contains("absolute path of at most 107 bytes"), "\(error.description)")
            }
        }
    }
}
