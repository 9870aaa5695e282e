// Backpressure instead of a cut: while a connection's output has no room, the worker stops
// receiving (the multishot recv is cancelled, buffers already filled are held, not copied),
// so a pipelining client is answered in full and in order however much it sends before it
// reads, and one that never reads is closed by the write timeout, never by a buffer filling.
import Foundation
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct BackpressureTests {
    func server(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        var c = TestServer.configuration()
        c.configuredRoutes = [
            RouteConfiguration(path: "/a", methods: ["GET", "POST"], body: "a"),
            RouteConfiguration(path: "/b", methods: ["GET", "POST"], body: "b"),
        ]
        adjust(&c)
        return try TestServer(c)
    }

    /// The cases: everything written in one call first, then read (118 and 59
    /// responses before the connection was cut).
    @Test func aPipelineWrittenBeforeReadingIsAnsweredInFull() throws {
        let s = try server()
        let plain = try s.client()
        try plain.send(String(repeating: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", count: 800))
        for i in 0..<800 { #expect(try plain.readResponse().bodyText == "a", "response \(i)") }
        let expecting = try s.client()
        try expecting.send(String(repeating: "POST /b HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz", count: 500))
        for i in 0..<500 {
            #expect(try expecting.readResponse().status == 100, "interim \(i)")
            #expect(try expecting.readResponse().bodyText == "b", "response \(i)")
        }
        #expect(s.server.total(.protocolOverflows) == 0)
    }

    /// The same, then FIN before reading (a client that half-closes): every request sent
    /// before the FIN is still answered, then the server closes.
    @Test func aHalfClosedPipelineIsAnsweredInFullThenClosed() throws {
        let s = try server()
        let c = try s.client()
        try c.send(String(repeating: "GET /b HTTP/1.1\r\nHost: x\r\n\r\n", count: 2000))
        shutdown(c.fd, Int32(SHUT_WR))
        for i in 0..<2000 { #expect(try c.readResponse().bodyText == "b", "response \(i)") }
        #expect(c.isClosedByServer())
    }

    /// 10,000 requests in one write (from another thread: the write itself waits for the
    /// server to read) get 10,000 responses, in order.
    @Test func tenThousandPipelinedRequestsAreAnsweredInOrder() throws {
        let s = try server()
        let c = try s.client()
        var burst = ""
        for i in 0..<10_000 { burst += i % 2 == 0 ? "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /b HTTP/1.1\r\nHost: x\r\n\r\n" }
        let bytes = Array(burst.utf8)
        let fd = c.fd
        let writer = Thread {
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
            }
        }
        writer.start()
        var wrong = 0
        for i in 0..<10_000 where try c.readResponse().bodyText != (i % 2 == 0 ? "a" : "b") { wrong += 1 }
        #expect(wrong == 0)
        #expect(s.server.total(.requests) == 10_000)
        #expect(s.server.total(.receivePauses) > 0, "the output filled, so receiving stopped")
        #expect(s.server.total(.protocolOverflows) == 0)
    }

    /// A client that sends and never reads: the server stops reading it (its socket buffers
    /// fill, so the client's send stalls) and closes it at the write timeout.
    @Test func aClientThatNeverReadsIsClosedByTheWriteTimeout() throws {
        let s = try server { $0.timeouts.write = 1 }
        let c = try TestClient(port: s.port, timeoutSeconds: 1, receiveBuffer: 4096)
        let request = Array(String(repeating: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", count: 1000).utf8)
        var sent = 0
        let start = monotonicSeconds()
        // Each send waits at most a second (SO_SNDTIMEO); stop once the server stops taking bytes.
        while monotonicSeconds() - start < 8, (try? c.send(request)) != nil { sent += request.count }
        #expect(sent < 64 << 20, "the server did not read without bound")
        var closed = false
        while monotonicSeconds() - start < 12 && !closed {
            closed = s.server.total(.writeTimeouts) == 1
            usleep(100_000)
        }
        #expect(closed, "cut by the write timeout")
        #expect(s.server.total(.receivePauses) > 0)
        #expect(s.server.total(.protocolOverflows) == 0)
        #expect(s.server.total(.active) == 0)
    }

    /// The per-worker FIFO of held receive buffers.
    @Test func heldBuffersComeBackInOrderAndTheirNodesAreReused() {
        var held = HeldInput(buffers: 4, slots: 3)
        let empty = held.holds(1)
        #expect(!empty)
        held.append(slot: 1, group: 0, id: 7, offset: 10, length: 100)
        held.append(slot: 2, group: 1, id: 3, offset: 0, length: 50)
        held.append(slot: 1, group: 0, id: 8, offset: 0, length: 60)
        let three = held.count
        #expect(three == 3)
        held.advanceFirst(1, by: 5)
        let first = held.first(1)
        #expect(first?.id == 7 && first?.offset == 15)
        let ids = [held.removeFirst(1).id, held.removeFirst(1).id]
        #expect(ids == [7, 8])
        let (one, two) = (held.holds(1), held.holds(2))
        #expect(!one && two)
        for i in 0..<3 { held.append(slot: 0, group: 0, id: UInt16(i), offset: 0, length: 1) }
        let full = held.count
        #expect(full == 4, "the pool holds exactly as many buffers as exist")
        let order = [held.removeFirst(0).id, held.removeFirst(0).id, held.removeFirst(0).id, held.removeFirst(2).id]
        #expect(order == [0, 1, 2, 3])
        let left = held.count
        #expect(left == 0)
    }
}

/// Lingering close: after a response that ends the connection while the client may still be
/// sending, the server shuts its write side and reads and drops what comes, so the client is
/// not reset before it reads the response.
@Suite(.serialized) struct LingeringCloseTests {
    /// A 2 MB upload to a 1 MB limit: the client's blocking send completes (the server reads
    /// and drops), then it reads the whole 413 and a clean EOF.
    @Test func aClientUploadingPastTheLimitReadsTheWhole413() throws {
        var c = TestServer.configuration()
        c.limits.maxBodyBytes = 1 << 20
        c.configuredRoutes = [RouteConfiguration(path: "/upload", methods: ["POST"], body: "ok")]
        let s = try TestServer(c)
        let client = try s.client()
        // A small send buffer (no autotuning): most of the body is still to send when the
        // 413 goes out, as over a real network.
        var sendBuffer: Int32 = 65536
        setsockopt(client.fd, SOL_SOCKET, SO_SNDBUF, &sendBuffer, 4)
        let body = [UInt8](repeating: 120, count: 2 << 20)
        try client.send(Array("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        #expect(client.isClosedByServer())
        #expect(s.server.total(.lingeringCloses) == 1)
    }

    @Test func lingeringEndsAtTheClientsFINAndAtItsTimeLimit() throws {
        var c = TestServer.configuration()
        c.timeouts.linger = 1
        let s = try TestServer(c)
        // FIN: the client shuts its side after reading the 400, the server closes at once.
        let polite = try s.client()
        try polite.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        #expect(try polite.readResponse().status == 400)
        shutdown(polite.fd, Int32(SHUT_WR))
        #expect(polite.isClosedByServer())
        // No FIN: the client keeps the connection open; the linger timer closes it.
        let silent = try s.client()
        try silent.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        #expect(try silent.readResponse().status == 400)
        let start = monotonicSeconds()
        while s.server.total(.active) > 0 && monotonicSeconds() - start < 4 { usleep(50_000) }
        #expect(s.server.total(.active) == 0)
        #expect(s.server.total(.lingerTimeouts) == 1)
        #expect(s.server.total(.lingeringCloses) == 2)
    }

    @Test func aLingerTimeOfZeroClosesAtOnce() throws {
        var c = TestServer.configuration()
        c.timeouts.linger = 0
        let s = try TestServer(c)
        let client = try s.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        #expect(try client.readResponse().status == 400)
        #expect(client.isClosedByServer())
        #expect(s.server.total(.lingeringCloses) == 0)
    }
}
