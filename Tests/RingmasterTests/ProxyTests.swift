// The reverse proxy against real upstreams (Support/upstream.py, a Python HTTP/1.1 application
// with keep-alive): forwarded fields (hop-by-hop removed, X-Forwarded-*, Via), bodies both ways
// (Content-Length, chunked passed through, a body that runs to close), keep-alive reuse of
// upstream connections, pipelined requests in order, round robin across two upstreams, an
// upstream down at start (502, then 503 while it is marked down), one that resets mid-exchange,
// a read timeout (504), and the configuration's checks.
import Foundation
import Glibc
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct ProxyTests {
    func server(_ ports: [Int], options: (inout ProxyOptions) -> Void = { _ in }) throws -> TestServer {
        let route = RouteConfiguration.proxy(ports.map { "127.0.0.1:\($0)" }, options: options)
        var c = TestServer.configuration()
        c.configuredRoutes = [route, RouteConfiguration(path: "/local", body: "local\n")]
        return try TestServer(c)
    }

    @Test func fieldsAreForwardedWithoutHopByHopOnesAndWithForwardedOnes() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server([upstream.port])
        let client = try server.client()
        try client.send("GET /app/echo?x=1 HTTP/1.1\r\nHost: front.example\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
                        + "Keep-Alive: timeout=5\r\nTE: trailers\r\nX-Forwarded-For: 203.0.113.1\r\nUser-Agent: probe\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        let lines = Set(response.bodyText.split(separator: "\n").map(String.init))
        #expect(lines.contains("GET /app/echo?x=1"))
        #expect(lines.contains("host: front.example"), "Host is passed unchanged")
        #expect(lines.contains("user-agent: probe"))
        #expect(lines.contains("x-forwarded-for: 127.0.0.1"), "an untrusted client's list is replaced (ProxyAddressTests)")
        #expect(lines.contains("x-forwarded-proto: http"))
        #expect(lines.contains("x-forwarded-host: front.example"))
        #expect(lines.contains("via: 1.1 ringmaster"))
        for hop in ["connection", "keep-alive", "te", "x-secret"] {
            #expect(!lines.contains { $0.hasPrefix(hop + ":") }, "\(hop) is hop-by-hop")
        }
        #expect(response.header("Via") == "1.1 ringmaster")
        // The connection stays usable for a local route afterwards.
        #expect(try client.get("/local").bodyText == "local\n")
    }

    @Test func bodiesTravelBothWaysInEveryFraming() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server([upstream.port])
        let client = try server.client()
        let big = try client.get("/app/big?n=3000000")
        #expect(big.status == 200 && big.body.count == 3_000_000)
        #expect(big.body.enumerated().allSatisfy { $0.element == UInt8($0.offset % 251) }, "bytes arrive in order, intact")
        // Chunked passes through as chunked: read raw on a connection of its own.
        let raw = try server.client()
        try raw.send("GET /app/chunked?n=250000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let bytes = raw.readAll()
        let text = String(decoding: bytes.prefix(400), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200") && text.lowercased().contains("transfer-encoding: chunked"), "\(text.prefix(200))")
        let decoded = dechunk(Array(bytes[(bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? 0)...]))
        #expect(decoded?.count == 250_000 && decoded?.enumerated().allSatisfy { $0.element == UInt8($0.offset % 251) } == true)
        let upload = [UInt8](repeating: 0x61, count: 500_000)
        try client.send(Array("POST /app/upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(upload.count)\r\n\r\n".utf8) + upload)
        #expect(try client.readResponse().bodyText == "500000 \(crc32(upload))")
        // A body that runs to the upstream's close ends the client connection after it.
        try client.send("GET /app/close?n=70000 HTTP/1.1\r\nHost: x\r\n\r\n")
        let all = client.readAll()
        let headEnd = all.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? 0
        #expect(String(decoding: all[0..<headEnd], as: UTF8.self).contains("Connection: close"))
        #expect(all.count - headEnd == 70000, "the whole body, then the close")
    }

    @Test func upstreamConnectionsAreReusedAndPipelinedRequestsStayInOrder() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server([upstream.port])
        let client = try server.client()
        let first = try client.get("/app/conn").bodyText
        #expect(try client.get("/app/conn").bodyText == first, "the idle connection is reused")
        let second = try server.client()
        #expect(try second.get("/app/conn").bodyText == first, "by any client of the worker")
        try client.send((0..<5).map { "GET /app/big?n=\($0 * 10) HTTP/1.1\r\nHost: x\r\n\r\nGET /local HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        for i in 0..<5 {
            #expect(try client.readResponse().body.count == i * 10)
            #expect(try client.readResponse().bodyText == "local\n")
        }
        #expect(server.server.total(.proxyRequests) == 8)
    }

    @Test func roundRobinSpreadsRequestsAndSkipsADownUpstream() throws {
        let a = try Upstream(name: "a"), b = try Upstream(name: "b")
        defer { withExtendedLifetime((a, b)) {} }
        let dead = Upstream.freePort()
        let server = try server([a.port, b.port, dead]) { $0.failTimeoutSeconds = 30 }
        let client = try server.client()
        var names: [String] = []
        for _ in 0..<9 { names.append(try client.get("/app/name").bodyText) }
        // The dead one fails its connect once (retried on the next) and is skipped after.
        #expect(names.filter { $0 == "a" }.count >= 4 && names.filter { $0 == "b" }.count >= 4, "\(names)")
        #expect(server.server.total(.proxyErrors) == 1)
        #expect(server.server.total(.proxyRetries) == 1)
    }

    /// Both upstreams refuse: 502 after trying each, then 503 while both are marked down. (A
    /// group of one is never marked down, as in nginx: each request tries it.)
    @Test func downUpstreamsAre502ThenWhileMarkedDown503() throws {
        let server = try server([Upstream.freePort(), Upstream.freePort()]) { $0.failTimeoutSeconds = 30 }
        let client = try server.client()
        let first = try client.get("/app/echo")
        #expect(first.status == 502)
        #expect(try client.get("/app/echo").status == 503, "marked down: none is up")
        let single = try self.server([Upstream.freePort()])
        let again = try single.client()
        #expect(try again.get("/app/echo").status == 502)
        #expect(try again.get("/app/echo").status == 502, "a group of one is tried every time")
        #expect(try client.get("/local").status == 200, "the client connection survives")
    }

    @Test func aResetIs502AndATimeoutIs504() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server([upstream.port]) { $0.readTimeoutSeconds = 1; $0.failTimeoutSeconds = 0 }
        let client = try server.client()
        #expect(try client.get("/app/reset").status == 502)
        let started = Date()
        #expect(try client.get("/app/slow?ms=3000").status == 504)
        #expect(Date().timeIntervalSince(started) < 2.5)
        #expect(server.server.total(.proxyTimeouts) == 1)
        #expect(try client.get("/app/name").bodyText == "upstream", "a later request is served")
        // A body that stalls after its head: the read timeout cuts the client connection (its
        // head promised the rest), never a short body presented as whole.
        let stalled = try server.client()
        let cut = Date()
        try stalled.send("GET /app/stall?n=100000&ms=4000 HTTP/1.1\r\nHost: x\r\n\r\n")
        let all = stalled.readAll()
        #expect(Date().timeIntervalSince(cut) < 3.5, "cut by read_timeout_s, not by the upstream's close")
        #expect(all.count < 100_000 && String(decoding: all.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
        #expect(server.server.total(.proxyTimeouts) == 2)
    }

    @Test func aClientThatLeavesMidExchangeCostsNothingAfter() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server([upstream.port])
        for _ in 0..<20 {
            let client = try server.client()
            try client.send("GET /app/slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
            client.abort()
        }
        usleep(600_000)
        #expect(server.server.total(.active) == 0)
        #expect(try server.client().get("/app/name").bodyText == "upstream")
    }

    @Test func theRouteIsConfiguredAndChecked() throws {
        let good = try ConfigurationLoader.parse(Array(#"{"routes": [{"path": "/api/", "match": "prefix", "kind": "proxy", "upstreams": ["127.0.0.1:9000", "[::1]:9001", "unix:/run/app.sock"], "balance": "least_conn", "read_timeout_s": 5}]}"#.utf8), source: "t.json")
        let proxy = good.configuredRoutes?.first?.proxy
        #expect(proxy?.upstreams.map(\.description) == ["127.0.0.1:9000", "[::1]:9001", "unix:/run/app.sock"])
        #expect(proxy?.balance == .leastConnections && proxy?.readTimeoutSeconds == 5)
        #expect(good.configuredRoutes?.first?.methods == RouteParser.methods)
        for (json, key) in [(#"{"path": "/a/", "kind": "proxy"}"#, "routes[0].upstreams"),
                            (#"{"path": "/a/", "kind": "proxy", "upstreams": ["localhost:80"]}"#, "routes[0].upstreams"),
                            (#"{"path": "/a/", "kind": "proxy", "upstreams": ["::1:80"]}"#, "routes[0].upstreams"),
                            (#"{"path": "/a/", "kind": "proxy", "upstreams": ["1.2.3.4:0"]}"#, "routes[0].upstreams"),
                            (#"{"path": "/a/", "kind": "proxy", "upstreams": ["1.2.3.4:80"], "balance": "random"}"#, "routes[0].balance"),
                            (#"{"path": "/a/", "kind": "proxy", "upstreams": ["1.2.3.4:80"], "read_timeout_s": 0}"#, "routes[0].read_timeout_s"),
                            (#"{"path": "/a/", "kind": "proxy", "upstreams": ["1.2.3.4:80"], "headers": {"X-A": "1"}}"#, "routes[0].headers"),
                            (#"{"path": "/a/", "upstreams": ["1.2.3.4:80"]}"#, "routes[0].upstreams")] {
            do {
                _ = try ConfigurationLoader.parse(Array("{\"routes\": [\(json)]}".utf8), source: "t.json")
                Issue.record("accepted \(json)")
            } catch {
                #expect(error.key == key, "\(json): \(error)")
            }
        }
    }

    /// The data of a chunked body (no extensions or trailers expected), nil if malformed.
    func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = bytes[i...].firstRange(of: [13, 10]) else { return nil }
            guard let size = Int(String(decoding: bytes[i..<lineEnd.lowerBound], as: UTF8.self), radix: 16) else { return nil }
            i = lineEnd.upperBound
            if size == 0 { return out }
            guard i + size + 2 <= bytes.count else { return nil }
            out += bytes[i..<i + size]
            i += size + 2
        }
    }

    /// config/proxy.example.json loads as shipped.
    @Test func theShippedExampleLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = try ConfigurationLoader.load(path: root.appendingPathComponent("config/proxy.example.json").path)
        let proxy = example.configuredRoutes?.first?.proxy
        #expect(proxy?.upstreams.count == 2 && proxy?.balance == .leastConnections && proxy?.connectTimeoutMilliseconds == 1000)
        #expect(proxy?.trustedProxies.map(\.description) == ["10.0.0.0/8", "2001:db8::/32"])
        #expect(example.configuredRoutes?[1].proxy?.upstreams == [.unix("/run/app.sock")])
        #expect(example.accessLogFormat == .combined)
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
