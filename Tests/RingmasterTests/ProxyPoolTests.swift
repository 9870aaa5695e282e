// The per-upstream connection cap with a queue (docs/proxy.md, "Connection cap and queue"):
// 1,000 concurrent clients proxied to a real nginx over a pool of 32 connections all get their
// page, nginx sees at most 32 connections, and the requests beyond the cap waited instead of
// being refused; a request that waits past the connect timeout gets 503.
import Foundation
import Glibc
import Testing
@testable import Ringmaster

/// nginx serving a directory on a free loopback port, logging each request's connection
/// serial number, so a test can count the connections it was sent over.
final class NginxUpstream {
    let port = Upstream.freePort()
    let prefix: String
    let process = Process()

    init(root: String) throws {
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("rm-nginx-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: prefix + "/tmp", withIntermediateDirectories: true)
        let conf = """
            worker_processes 1;
            daemon off;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log;
            events { worker_connections 4096; }
            http {
              log_format serial '$connection';
              access_log \(prefix)/access.log serial;
              client_body_temp_path \(prefix)/tmp;
              keepalive_requests 1000000;
              server { listen 127.0.0.1:\(port); root \(root); }
            }
            """
        try conf.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", prefix, "-e", prefix + "/error.log", "-c", prefix + "/nginx.conf"]
        try process.run()
        for _ in 0..<200 {
            if (try? TestClient(port: port)) != nil { return }
            usleep(10_000)
        }
        throw TestClientError.malformed("nginx did not listen on \(port)")
    }

    /// The connections nginx served requests on (its `$connection` serials; the probe at
    /// start logged none, it sent no request).
    func connections() -> Set<Substring> {
        let log = (try? String(contentsOfFile: prefix + "/access.log", encoding: .utf8)) ?? ""
        return Set(log.split(separator: "\n"))
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: prefix)
    }
}

@Suite(.serialized) struct ProxyPoolTests {
    @Test func aThousandConcurrentClientsShareAPoolOf32() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), "nginx is installed by make test")
        let site = try SiteFixture()
        let page = SiteFixture.pattern(20_000, seed: 3)
        try FileManager.default.createDirectory(atPath: site.root + "/app", withIntermediateDirectories: true)
        try site.write("app/page.html", page)
        let nginx = try NginxUpstream(root: site.root)
        var c = TestServer.configuration()
        c.maxStreams = 1100
        c.configuredRoutes = [RouteConfiguration.proxy(["127.0.0.1:\(nginx.port)"]) { $0.maxConnections = 32 }]
        let server = try TestServer(c)
        let clients = try (0..<1000).map { _ in try server.client() }
        for client in clients { try client.send("GET /app/page.html HTTP/1.1\r\nHost: a\r\n\r\n") }
        var whole = 0
        for client in clients {
            let response = try client.readResponse()
            if response.status == 200 && response.body == page { whole += 1 }
        }
        #expect(whole == 1000)
        #expect(nginx.connections().count <= 32, "nginx saw \(nginx.connections().count) connections")
        #expect(server.server.total(.proxyQueued) > 0, "requests beyond the cap waited")
    }

    @Test func aRequestWaitingPastTheConnectTimeoutGets503() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration.proxy(["127.0.0.1:\(upstream.port)"]) {
            $0.maxConnections = 1
            $0.connectTimeoutMilliseconds = 1000
        }]
        let server = try TestServer(c)
        let holder = try server.client()
        try holder.send("GET /app/slow?ms=3500 HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(200_000)
        let waiter = try server.client()
        let started = Date()
        let refused = try waiter.get("/app/name")
        #expect(refused.status == 503)
        #expect(Date().timeIntervalSince(started) < 3.2, "answered at its deadline, not when the connection came free")
        #expect(try holder.readResponse().bodyText == "slow")
        // With the connection free again, the next request is served.
        #expect(try waiter.get("/app/name").status == 200)
    }

    /// A waiter whose client leaves frees its place: the next waiter gets the connection
    /// when it comes free, not a 503 at its deadline behind the gone one.
    @Test func aWaiterThatLeavesFreesItsPlace() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration.proxy(["127.0.0.1:\(upstream.port)"]) {
            $0.maxConnections = 1
            $0.connectTimeoutMilliseconds = 5000
        }]
        let server = try TestServer(c)
        let holder = try server.client()
        try holder.send("GET /app/slow?ms=600 HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(100_000)
        let leaver = try server.client()
        try leaver.send("GET /app/name HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(100_000)
        leaver.abort()
        let waiter = try server.client()
        try waiter.send("GET /app/name HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try holder.readResponse().bodyText == "slow")
        let started = Date()
        let served = try waiter.readResponse()
        #expect(served.status == 200, "the waiter behind the one that left is served")
        #expect(Date().timeIntervalSince(started) < 2, "when the connection came free, not at its deadline")
        #expect(server.server.total(.proxyQueued) >= 2)
    }
}
