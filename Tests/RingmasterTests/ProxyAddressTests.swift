// Where the proxy connects and whom it names: Unix-socket upstreams (a Python upstream on a
// socket path, Support/upstream.py unix:PATH), and X-Forwarded-For with and without trusted
// proxies. Upstreams on ports 18750-18799 or socket paths under the temporary directory.
import Foundation
import Glibc
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct ProxyAddressTests {
    func server(_ upstreams: [String], proxyProtocol: Bool = false, options: (inout ProxyOptions) -> Void = { _ in }) throws -> TestServer {
        let route = RouteConfiguration.proxy(upstreams, options: options)
        var c = TestServer.configuration()
        c.proxyProtocol = proxyProtocol
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

    /// The X-Forwarded-For line the upstream saw for `request` (sent on a new connection,
    /// after `prefix`), or nil.
    func forwardedFor(_ server: TestServer, prefix: String = "", _ fields: String) throws -> String? {
        let client = try server.client()
        try client.send(prefix + "GET /app/echo HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n")
        let body = try client.readResponse().bodyText
        return body.split(separator: "\n").first { $0.hasPrefix("x-forwarded-for: ") }.map { String($0.dropFirst(17)) }
    }

    /// From an untrusted client the incoming list is replaced by its address; from a trusted
    /// one (IPv4 or IPv6 CIDRs) every incoming field is kept, in order, and the client appended.
    @Test func forwardedForIsKeptOnlyFromTrustedProxies() throws {
        let upstream = try Upstream(port: 18750)
        defer { withExtendedLifetime(upstream) {} }
        let spoofed = "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-For: 198.51.100.1, 198.51.100.2\r\n"
        let untrusted = try server(["127.0.0.1:18750"]) { $0.trustedProxies = [AddressRange.parse("10.0.0.0/8")!, AddressRange.parse("::1")!] }
        #expect(try forwardedFor(untrusted, spoofed) == "127.0.0.1")
        #expect(try forwardedFor(untrusted, "") == "127.0.0.1")
        let trusted = try server(["127.0.0.1:18750"]) { $0.trustedProxies = [AddressRange.parse("2001:db8::/32")!, AddressRange.parse("127.0.0.0/8")!] }
        #expect(try forwardedFor(trusted, spoofed) == "203.0.113.9, 198.51.100.1, 198.51.100.2, 127.0.0.1")
        #expect(try forwardedFor(trusted, "") == "127.0.0.1", "nothing incoming: the client alone")
    }

    /// The client checked is the one the PROXY protocol named, not the balancer's connection.
    @Test func trustIsJudgedOnTheProxyProtocolClient() throws {
        let upstream = try Upstream(port: 18751)
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(["127.0.0.1:18751"], proxyProtocol: true) { $0.trustedProxies = [AddressRange.parse("192.0.2.0/24")!] }
        let fields = "X-Forwarded-For: 203.0.113.9\r\n"
        #expect(try forwardedFor(server, prefix: "PROXY TCP4 192.0.2.77 192.0.2.1 40000 80\r\n", fields) == "203.0.113.9, 192.0.2.77")
        #expect(try forwardedFor(server, prefix: "PROXY TCP4 198.51.100.5 192.0.2.1 40000 80\r\n", fields) == "198.51.100.5")
    }

    @Test func rangesParseAndMatch() throws {
        let v4 = try #require(AddressRange.parse("10.1.2.3/8"))
        #expect(v4.description == "10.0.0.0/8", "host bits cleared")
        #expect(v4.contains(ClientAddress.parse("10.255.0.1")!) && !v4.contains(ClientAddress.parse("11.0.0.1")!))
        #expect(!v4.contains(ClientAddress.parse("::ffff:11.0.0.1")!) && v4.contains(ClientAddress.parse("::ffff:10.0.0.1")!))
        let v6 = try #require(AddressRange.parse("2001:db8:8000::/33"))
        #expect(v6.contains(ClientAddress.parse("2001:db8:ffff::1")!) && !v6.contains(ClientAddress.parse("2001:db8:7fff::1")!))
        #expect(!v6.contains(ClientAddress.parse("10.0.0.1")!), "another family never matches")
        #expect(AddressRange.parse("0.0.0.0/0")!.contains(ClientAddress.parse("203.0.113.1")!))
        #expect(AddressRange.parse("192.0.2.1")!.prefixLength == 32 && AddressRange.parse("::1")!.prefixLength == 128)
        #expect(AddressRange.parse("::ffff:10.0.0.0/104") == AddressRange.parse("10.0.0.0/8"))
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0/8", "example.com/8", "10.0.0.0/8/8", "", "/8", "10.0.0.0/-1"] {
            #expect(AddressRange.parse(bad) == nil, "\(bad)")
        }
    }

    /// A bad entry stops the program at load: exit 2, a message naming the key and the value.
    @Test func badTrustedProxiesAreConfigurationErrors() throws {
        let good = try ConfigurationLoader.parse(Array(#"{"routes": [{"path": "/a/", "kind": "proxy", "upstreams": ["127.0.0.1:9000"], "trusted_proxies": ["10.0.0.0/8", "2001:db8::/32"]}]}"#.utf8), source: "t.json")
        #expect(good.configuredRoutes?.first?.proxy?.trustedProxies.map(\.description) == ["10.0.0.0/8", "2001:db8::/32"])
        for value in [#"["10.0.0.0/33"]"#, #"["not-an-ip"]"#, #""10.0.0.0/8""#, "[8]"] {
            do {
                _ = try ConfigurationLoader.parse(Array(#"{"routes": [{"path": "/a/", "kind": "proxy", "upstreams": ["127.0.0.1:9000"], "trusted_proxies": \#(value)}]}"#.utf8), source: "t.json")
                Issue.record("accepted \(value)")
            } catch {
                #expect(error.key == "routes[0].trusted_proxies", "\(value): \(error)")
            }
        }
        let path = try temporaryConfigFile(#"{"routes": [{"path": "/a/", "kind": "proxy", "upstreams": ["127.0.0.1:9000"], "trusted_proxies": ["10.0.0.0/33"]}]}"#)
        let run = try CommandRun(["check-config", "--config", path])
        #expect(run.status == 2)
        #expect(run.stderr.contains("routes[0].trusted_proxies") && run.stderr.contains("10.0.0.0/33"), "\(run.stderr)")
    }
}
