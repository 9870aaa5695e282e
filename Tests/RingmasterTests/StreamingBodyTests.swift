// Async handlers that read their request body as it arrives (RequestBody, Worker+BodyChannel):
// 100 MB to a handler that reads nothing for 1.5 s gets the client no further ahead than the
// socket buffers and one window, and every byte arrives in order; a chunked body streams the
// same way with a pipelined request behind it; a handler that answers before reading closes
// the connection after its answer; a client that leaves midway fails the handler's read; a
// chunked body over the limit is a 413 and the handler's read fails; RouterTester serves a
// streaming route from memory.
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct StreamingBodyTests {
    /// Reads failed with an error, over every server of the suite (the handlers count them).
    static let failedReads = Atomic<Int>(0)

    static func router() -> Router {
        var router = Router()
        // Reads the body (after `hold_ms`), checking every byte is i % 251; answers "N ok".
        router.post("/count", streamingBody: { request, body in
            if let hold = request.query?.split(separator: "=").last.flatMap({ Int($0) }) { try await Task.sleep(for: .milliseconds(hold)) }
            var total = 0
            var good = true
            do {
                for try await piece in body {
                    let start = total % 251
                    good = good && piece.withUnsafeBytes { p in
                        PatternUpload.block.withUnsafeBytes { memcmp(p.baseAddress!, $0.baseAddress! + start, piece.count) == 0 }
                    }
                    total += piece.count
                }
            } catch {
                StreamingBodyTests.failedReads.add(1, ordering: .relaxed)
                throw error
            }
            return .text("\(total) \(good ? "ok" : "bad")")
        })
        // Answers before reading anything.
        router.post("/refuse", streamingBody: { _, _ in .text("no\n", status: .forbidden) })
        // Collects up to 1 KB.
        router.post("/small", streamingBody: { _, body in .text("\(try await body.collect(upTo: 1024).count)") })
        return router
    }

    func server(bodyLimit: UInt64 = 256 << 20, bodyTimeout: UInt8 = 30) throws -> TestServer {
        var c = TestServer.configuration()
        c.limits.maxBodyBytes = bodyLimit
        c.timeouts.body = bodyTimeout
        c.configuredRoutes = []
        return try TestServer(c, router: StreamingBodyTests.router())
    }

    @Test func aHandlerThatReadsLaterHoldsOneWindowNotTheBody() throws {
        let server = try server()
        let client = try server.client()
        let size = 100 << 20
        let upload = PatternUpload(client, head: "POST /count?hold_ms=1500 HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n", count: size)
        usleep(1_000_000)
        let early = upload.sent
        #expect(early < 48 << 20, "the client ran \(early) bytes ahead of a handler that read nothing")
        upload.wait()
        let response = try client.readResponse()
        #expect(response.status == 200 && response.bodyText == "\(size) ok", "\(response.status) \(response.bodyText.prefix(80))")
        #expect(response.header("Connection") == nil, "the connection stays open")
        try client.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try client.readResponse().bodyText == "5")
    }

    @Test func aChunkedBodyStreamsWithAPipelinedRequestBehindIt() throws {
        let server = try server()
        let client = try server.client()
        let upload = PatternUpload(client, head: "POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", count: 3_000_000, chunked: true)
        upload.wait()
        try client.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        #expect(try client.readResponse().bodyText == "3000000 ok")
        #expect(try client.readResponse().bodyText == "2", "answered after it, in order")
        // Expect: 100-continue is answered before the handler runs.
        try client.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("abc")
        #expect(try client.readResponse().bodyText == "3")
    }

    @Test func aHandlerThatAnswersFirstClosesAfterItsAnswer() throws {
        let server = try server()
        let client = try server.client()
        let upload = PatternUpload(client, head: "POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n", count: 20_000_000)
        let response = try client.readResponse()
        #expect(response.status == 403 && response.header("Connection") == "close")
        upload.wait()
        #expect(client.drainUntilClosed() != nil)
        // collect(upTo:) over its limit: the handler's own 413.
        let second = try server.client()
        try second.send(Array("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n".utf8) + [UInt8](repeating: 0x61, count: 5000))
        #expect(try second.readResponse().status == 413)
    }

    @Test func aClientThatLeavesFailsTheHandlersRead() throws {
        let server = try server()
        let before = StreamingBodyTests.failedReads.load(ordering: .relaxed)
        let client = try server.client()
        let upload = PatternUpload(client, head: "POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n", count: 50_000_000)
        while upload.sent < 2 << 20 { usleep(5_000) }
        upload.stop(client)
        client.abort()
        for _ in 0..<200 where StreamingBodyTests.failedReads.load(ordering: .relaxed) == before { usleep(10_000) }
        #expect(StreamingBodyTests.failedReads.load(ordering: .relaxed) == before + 1, "the handler's read failed")
        usleep(200_000)
        #expect(server.server.total(.active) == 0)
    }

    @Test func aChunkedBodyOverTheLimitIs413AndFailsTheRead() throws {
        let server = try server(bodyLimit: 1 << 20)
        let before = StreamingBodyTests.failedReads.load(ordering: .relaxed)
        let client = try server.client()
        let upload = PatternUpload(client, head: "POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", count: 2 << 20, chunked: true)
        #expect(try client.readResponse().status == 413)
        upload.wait()
        for _ in 0..<200 where StreamingBodyTests.failedReads.load(ordering: .relaxed) == before { usleep(10_000) }
        #expect(StreamingBodyTests.failedReads.load(ordering: .relaxed) == before + 1)
        #expect(try server.client().get("/nothing").status == 404, "the worker serves on")
    }

    @Test func routerTesterServesAStreamingRoute() throws {
        let app = RouterTester(StreamingBodyTests.router())
        let body = (0..<100_000).map { UInt8($0 % 251) }
        #expect(try app.request(.post, "/count", body: body).bodyText == "100000 ok")
        #expect(try app.request(.post, "/small", body: "x").bodyText == "1")
        #expect(try app.request(.post, "/refuse", body: "x").status == 403)
    }

    /// A client that stalls midway: the body timeout's 408 is the only answer, and the
    /// handler's read fails (review finding: the 408 left the handler attached, and its own
    /// answer could follow).
    @Test func aBodyTimeoutMidStreamFailsTheReadAndAnswersOnce() throws {
        let server = try server(bodyTimeout: 1)
        let before = StreamingBodyTests.failedReads.load(ordering: .relaxed)
        let client = try server.client()
        try client.send("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "a", count: 1000))
        #expect(try client.readResponse().status == 408)
        #expect(client.drainUntilClosed() == 0, "nothing after the 408, then the close")
        for _ in 0..<200 where StreamingBodyTests.failedReads.load(ordering: .relaxed) == before { usleep(10_000) }
        #expect(StreamingBodyTests.failedReads.load(ordering: .relaxed) == before + 1)
    }
}
