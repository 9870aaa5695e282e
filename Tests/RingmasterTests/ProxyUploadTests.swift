// Request bodies streamed to the upstream as they arrive (Worker+ProxyUpload.swift), against
// the Python upstream (Support/upstream.py, whose /app/pattern checks every byte as it reads):
// a 100 MB upload to an upstream that does not read for a while gets no further ahead than the
// buffers between (nothing holds it whole), a chunked one goes out chunked with a pipelined
// request behind it, an upstream that stops reading midway is a 502 and a close, one that
// never reads is a 504, a chunked body over the limit is a 413, and a client that leaves
// midway leaves nothing behind.
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Ringmaster

@Suite(.serialized) struct ProxyUploadTests {
    func server(_ port: Int, bodyLimit: UInt64 = 256 << 20, bodyTimeout: UInt8 = 30, options: (inout ProxyOptions) -> Void = { _ in }) throws -> TestServer {
        var c = TestServer.configuration()
        c.limits.maxBodyBytes = bodyLimit
        c.timeouts.body = bodyTimeout
        c.configuredRoutes = [RouteConfiguration.proxy(["127.0.0.1:\(port)"], options: options), RouteConfiguration(path: "/local", body: "local\n")]
        return try TestServer(c)
    }

    @Test func aLargeUploadIsNeverHeldWhole() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(upstream.port)
        let client = try server.client()
        let size = 100 << 20
        // The upstream reads nothing for 2 s: what the client got to send meanwhile is what the
        // socket buffers and the proxy's window hold. Collected, it would be all 100 MB.
        let upload = PatternUpload(client, head: "POST /app/pattern?hold_ms=2000 HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n", count: size)
        usleep(1_500_000)
        let early = upload.sent
        #expect(early < 48 << 20, "the client ran \(early) bytes ahead of an upstream that read nothing")
        upload.wait()
        let response = try client.readResponse()
        #expect(response.status == 200 && response.bodyText == "\(size) ok", "\(response.status) \(response.bodyText.prefix(80))")
        #expect(response.header("X-Framing") == "length", "a Content-Length body keeps its length")
        #expect(server.server.total(.proxyUploads) == 1)
        #expect(try client.get("/local").bodyText == "local\n", "the connection serves on")
    }

    @Test func aChunkedUploadGoesOutChunkedWithAPipelinedRequestBehindIt() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(upstream.port)
        let client = try server.client()
        let size = 3_000_000
        let upload = PatternUpload(client, head: "POST /app/pattern HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", count: size, chunked: true)
        upload.wait()
        try client.send("GET /app/name HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200 && response.bodyText == "\(size) ok", "\(response.status) \(response.bodyText.prefix(80))")
        #expect(response.header("X-Framing") == "chunked")
        #expect(try client.readResponse().bodyText == "upstream", "the request behind it is answered after it, in order")
        // A small body is still collected and sent with the head.
        try client.send("POST /app/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try client.readResponse().header("X-Framing") == "length")
        #expect(server.server.total(.proxyUploads) == 1)
    }

    @Test func anUpstreamThatStopsReadingMidwayIs502AndAClose() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(upstream.port) { $0.failTimeoutSeconds = 0 }
        let client = try server.client()
        let upload = PatternUpload(client, head: "POST /app/drop?after=1000000 HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n", count: 20_000_000)
        let response = try client.readResponse()
        #expect(response.status == 502, "never a 200 for a body the upstream did not take")
        #expect(response.header("Connection") == "close", "the rest of the body is not read as requests")
        upload.wait()
        #expect(client.drainUntilClosed() != nil, "the server closes the connection")
        #expect(try server.client().get("/app/name").bodyText == "upstream", "a later request is served")
    }

    @Test func anUpstreamThatNeverReadsIs504() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(upstream.port) { $0.readTimeoutSeconds = 1; $0.failTimeoutSeconds = 0 }
        let client = try server.client()
        let started = Date()
        let upload = PatternUpload(client, head: "POST /app/pattern?hold_ms=5000 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n", count: 100_000_000)
        let response = try client.readResponse()
        #expect(response.status == 504)
        #expect(Date().timeIntervalSince(started) < 4, "the send timeout cut it off")
        #expect(server.server.total(.proxyTimeouts) == 1)
        upload.stop(client)
    }

    @Test func aChunkedUploadOverTheBodyLimitIs413() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(upstream.port, bodyLimit: 1 << 20)
        let client = try server.client()
        let upload = PatternUpload(client, head: "POST /app/pattern HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", count: 2 << 20, chunked: true)
        #expect(try client.readResponse().status == 413)
        upload.wait()
        #expect(try server.client().get("/app/name").bodyText == "upstream", "the abandoned exchange left the pool usable")
    }

    @Test func aClientThatLeavesMidUploadLeavesNothingBehind() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(upstream.port)
        for _ in 0..<5 {
            let client = try server.client()
            let upload = PatternUpload(client, head: "POST /app/pattern?hold_ms=300 HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n", count: 50_000_000)
            while upload.sent < 2 << 20 { usleep(5_000) }
            upload.stop(client)
            client.abort()
        }
        usleep(800_000)
        #expect(server.server.total(.active) == 0)
        let client = try server.client()
        let upload = PatternUpload(client, head: "POST /app/pattern HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", count: 1_000_000)
        upload.wait()
        #expect(try client.readResponse().bodyText == "1000000 ok")
    }

    /// A client that stalls midway through an upload: one 408, and the exchange (with its
    /// upstream connection holding half a request) is abandoned, not left to answer later.
    @Test func aBodyTimeoutMidUploadAnswersOnceAndAbandonsTheExchange() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let server = try server(upstream.port, bodyTimeout: 1)
        let client = try server.client()
        try client.send("POST /app/pattern HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "a", count: 20000))
        #expect(try client.readResponse().status == 408)
        #expect(client.drainUntilClosed() == 0, "nothing after the 408, then the close")
        // The server lingers until the client closes its side too.
        client.abort()
        usleep(300_000)
        #expect(server.server.total(.active) == 0)
        #expect(try server.client().get("/app/name").bodyText == "upstream")
    }
}
