// The real server on an ephemeral loopback port over real sockets: keep-alive, HTTP/1.0,
// pipelining, split heads, request bodies, many connections, resets and limits.
import Glibc
import Testing
@testable import Ringmaster

let getRoot = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"

@Suite(.serialized) struct ServerIntegrationTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        let server = try TestServer()
        let client = try server.client()
        for _ in 0..<50 {
            try client.send(getRoot)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "Hello, World!")
            #expect(response.header("Content-Length") == "13")
            #expect(response.header("Content-Type") == "text/plain")
            #expect(response.header("Server") == "ringmaster")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(response.header("Connection") == nil)
        }
        #expect(server.server.total(.accepted) == 1)
        #expect(server.server.total(.requests) == 50)
    }

    @Test func routesAndMethods() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().bodyText == "Hello, World!")
        try client.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().bodyText == "ok\n")
        try client.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().status == 404)
        try client.send("GET /?q=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        try client.send("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n")
        let denied = try client.readResponse()
        #expect(denied.status == 405)
        #expect(denied.header("Allow") == "GET, HEAD")
        try client.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "13")
        #expect(head.body.isEmpty)
        // Nothing after the HEAD response: the next response starts cleanly.
        try client.send(getRoot)
        #expect(try client.readResponse().bodyText == "Hello, World!")
    }

    @Test func http10ClosesUnlessKeepAlive() throws {
        let server = try TestServer()
        let closing = try server.client()
        try closing.send("GET / HTTP/1.0\r\n\r\n")
        let r = try closing.readResponse()
        #expect(r.status == 200)
        #expect(r.header("Connection") == "close")
        #expect(closing.isClosedByServer())

        let keeping = try server.client()
        for _ in 0..<3 {
            try keeping.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try keeping.readResponse().status == 200)
        }
    }

    @Test func connectionCloseIsHonouredAndEchoed() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        let r = try client.readResponse()
        #expect(r.header("Connection") == "close")
        #expect(client.isClosedByServer())
    }

    @Test func sixteenPipelinedRequestsInOneWriteGetSixteenResponsesInOrder() throws {
        let server = try TestServer()
        let client = try server.client()
        var batch = ""
        for i in 0..<16 { batch += i % 2 == 0 ? "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n" : "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" }
        try client.send(batch)
        for i in 0..<16 {
            let r = try client.readResponse()
            #expect(r.bodyText == (i % 2 == 0 ? "Hello, World!" : "ok\n"))
        }
        #expect(server.server.total(.requests) == 16)
    }

    @Test func headSplitOverSeveralWrites() throws {
        let server = try TestServer()
        let client = try server.client()
        let pieces = ["GE", "T /plain", "text HTTP/1.1\r", "\nHost: exa", "mple\r\n", "\r", "\n"]
        for piece in pieces {
            try client.send(piece)
            usleep(20_000)
        }
        #expect(try client.readResponse().bodyText == "Hello, World!")
        // And one byte at a time.
        for byte in Array(getRoot.utf8) { try client.send([byte]) }
        #expect(try client.readResponse().status == 200)
    }

    @Test func contentLengthBodyThenPipelinedRequest() throws {
        let server = try TestServer()
        let client = try server.client()
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
        try client.send(Array("POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n".utf8) + body + Array(getRoot.utf8))
        #expect(try client.readResponse().status == 405)
        #expect(try client.readResponse().bodyText == "Hello, World!")
    }

    @Test func chunkedBodyThenPipelinedRequest() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n" + getRoot)
        #expect(try client.readResponse().status == 405)
        #expect(try client.readResponse().status == 200)
    }

    @Test func zeroContentLengthIsAnsweredAtOnce() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n" + getRoot)
        #expect(try client.readResponse().status == 405)
        #expect(try client.readResponse().status == 200)
        try client.send("GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(try client.readResponse().bodyText == "ok\n")
    }

    @Test func expectContinueGetsInterimResponse() throws {
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration(path: "/", methods: ["GET", "POST"], body: "ok\n")]
        let server = try TestServer(c)
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("abc")
        #expect(try client.readResponse().bodyText == "ok\n")
        // A method the path does not serve: the 405 at once instead of a 100, and the
        // connection closes after it (the client holds its body back).
        try client.send("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        let refused = try client.readResponse()
        #expect(refused.status == 405 && refused.header("Connection") == "close")
        #expect(client.isClosedByServer())
    }

    @Test func methodsNoRouteServesAreRefusedWhenTheHeadCompletes() throws {
        let server = try TestServer()
        // CONNECT with a body that never comes: 501 at once, not at the body timeout.
        let connect = try server.client()
        try connect.send("CONNECT example.com:443 HTTP/1.0\r\nContent-Length: 10\r\n\r\n")
        let refused = try connect.readResponse()
        #expect(refused.status == 501)
        #expect(connect.isClosedByServer())
        let unknown = try server.client()
        try unknown.send("BREW /pot HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n")
        #expect(try unknown.readResponse().status == 501)
        // A known method the path does not take: 405 before the body; the body that then
        // comes is dropped and the connection stays usable.
        let post = try server.client()
        try post.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        #expect(try post.readResponse().status == 405)
        try post.send("hello" + getRoot)
        #expect(try post.readResponse().status == 200)
    }

    @Test func thousandConcurrentConnections() throws {
        let server = try TestServer()
        var clients: [TestClient] = []
        for _ in 0..<1000 { clients.append(try server.client()) }
        for c in clients { try c.send(getRoot) }
        for c in clients { #expect(try c.readResponse().status == 200) }
        #expect(server.server.total(.active) == 1000)
        clients.removeAll()
        // Closing from the client side frees every slot.
        for _ in 0..<200 where server.server.total(.active) > 0 { usleep(10_000) }
        #expect(server.server.total(.active) == 0)
    }

    @Test func clientResetMidRequestLeavesServerHealthy() throws {
        let server = try TestServer()
        for _ in 0..<20 {
            let c = try server.client()
            try c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Partial: ")
            c.reset()
        }
        let c = try server.client()
        try c.send(getRoot)
        #expect(try c.readResponse().status == 200)
        for _ in 0..<200 where server.server.total(.active) > 1 { usleep(10_000) }
        #expect(server.server.total(.active) == 1)
    }

    @Test func oversizedHeadersGet431AndClose() throws {
        let server = try TestServer()
        let c = try server.client()
        let big = String(repeating: "a", count: 9000)
        try c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(big)\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 431)
        #expect(r.header("Connection") == "close")
        #expect(c.isClosedByServer())
        // The server answers the next fresh connection.
        let next = try server.client()
        try next.send(getRoot)
        #expect(try next.readResponse().status == 200)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", 400),                                                         // no Host
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET /LONG_TARGET HTTP/1.1\r\nHost: a\r\n\r\n", 414),                                    // target made 9000 bytes below
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", 413),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
    ])
    func malformedRequestsGetTheirStatusAndAClose(request: String, status: Int) throws {
        let server = try TestServer()
        let c = try server.client()
        try c.send(request.replacingLongTarget())
        let r = try c.readResponse()
        #expect(r.status == status)
        #expect(c.isClosedByServer())
    }

    @Test func halfClosedClientStillGetsItsResponses() throws {
        let server = try TestServer()
        let c = try server.client()
        try c.send(getRoot + getRoot)
        shutdown(c.fd, Int32(SHUT_WR))
        #expect(try c.readResponse().status == 200)
        #expect(try c.readResponse().status == 200)
        #expect(c.isClosedByServer())
    }
}

extension String {
    /// Expands the LONG_TARGET placeholder (kept short so test names stay readable).
    func replacingLongTarget() -> String {
        guard let range = utf8Range(of: "LONG_TARGET") else { return self }
        return String(self[..<range.lowerBound]) + String(repeating: "a", count: 9000) + String(self[range.upperBound...])
    }

    private func utf8Range(of needle: String) -> Range<String.Index>? {
        Substring(self).range(of: needle)
    }
}
