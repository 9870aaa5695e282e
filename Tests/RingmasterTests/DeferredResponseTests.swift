// Responses finished later on the worker: from a ring timer, from another handler, with
// pipelined requests waiting behind them in order, and connections that go away first.
import Glibc
import Synchronization
import Testing
@testable import Ringmaster

/// Tokens parked by one handler for another to finish; touched only on the (single) worker.
final class ParkedResponses: @unchecked Sendable {
    var tokens: [DeferredResponse] = []
}

@Suite(.serialized) struct DeferredResponseTests {
    static func server(_ build: (inout Router) -> Void, configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        var router = Router()
        router.get("/fast") { _, response in response.write("fast") }
        router.get("/slow") { request, response in
            let milliseconds = Int(request.queryItem("ms") ?? "50") ?? 50
            let later = response.finishLater()
            response.write("discarded")
            request.worker.after(milliseconds: milliseconds) {
                later.finish { response in
                    response.status = .accepted
                    response.write("slow \(milliseconds)")
                }
            }
        }
        build(&router)
        var c = TestServer.configuration()
        c.configuredRoutes = []
        configure(&c)
        return try TestServer(c, router: router)
    }

    static func milliseconds(since start: timespec) -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec - start.tv_sec) * 1000 + Double(now.tv_nsec - start.tv_nsec) / 1e6
    }

    static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }

    @Test func finishedFromATimerAheadOfPipelinedRequests() throws {
        let server = try DeferredResponseTests.server { _ in }
        let c = try server.client()
        let start = DeferredResponseTests.now()
        try c.send("GET /slow?ms=80 HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n"
                   + "POST /fast HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nxGET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        let slow = try c.readResponse()
        #expect(DeferredResponseTests.milliseconds(since: start) >= 75)
        #expect(slow.status == 202)
        #expect(slow.bodyText == "slow 80", "what the handler wrote before deferring is discarded")
        #expect(try c.readResponse().bodyText == "fast", "pipelined requests wait behind the deferred response")
        #expect(try c.readResponse().status == 405)
        #expect(try c.readResponse().bodyText == "fast")
        // Other connections are served meanwhile: the worker never waits.
        try c.send("GET /slow?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n")
        let other = try server.client()
        let quick = DeferredResponseTests.now()
        try other.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try other.readResponse().bodyText == "fast")
        #expect(DeferredResponseTests.milliseconds(since: quick) < 250)
        #expect(try c.readResponse().bodyText == "slow 300")
    }

    @Test func headAndConnectionCloseApplyWhenFinished() throws {
        let server = try DeferredResponseTests.server { _ in }
        let c = try server.client()
        try c.send("HEAD /slow?ms=10 HTTP/1.1\r\nHost: a\r\n\r\n")
        let head = try c.readResponse(head: true)
        #expect(head.header("Content-Length") == "7")
        try c.send("GET /slow?ms=10 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        let last = try c.readResponse()
        #expect(last.bodyText == "slow 10")
        #expect(last.header("Connection") == "close")
        #expect(c.isClosedByServer())
    }

    @Test func finishedByAnotherHandlerOnTheSameWorker() throws {
        let parked = ParkedResponses()
        let server = try DeferredResponseTests.server { router in
            router.get("/wait") { _, response in parked.tokens.append(response.finishLater()) }
            router.post("/release") { request, response in
                let message = request.bodyText
                for token in parked.tokens { token.finish { $0.write("released: \(message)") } }
                response.write("\(parked.tokens.count)")
                parked.tokens.removeAll()
            }
        }
        let waiters = try (0..<3).map { _ in try server.client() }
        for w in waiters { try w.send("GET /wait HTTP/1.1\r\nHost: a\r\n\r\n") }
        usleep(50_000)
        let releaser = try server.client()
        try releaser.send("POST /release HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
        #expect(try releaser.readResponse().bodyText == "3")
        for w in waiters { #expect(try w.readResponse().bodyText == "released: hi") }
    }

    @Test func finishAfterTheConnectionClosedDoesNothing() throws {
        let finished = Box(0)
        let fired = Box(0)
        let server = try DeferredResponseTests.server { router in
            router.get("/gone") { request, response in
                let later = response.finishLater()
                request.worker.after(milliseconds: 100) {
                    fired.set(fired.get + 1)
                    later.finish { response in
                        finished.set(finished.get + 1)
                        response.write("too late")
                    }
                }
            }
            router.get("/twice") { request, response in
                let later = response.finishLater()
                request.worker.after(milliseconds: 1) {
                    later.finish { $0.write("once") }
                    later.finish { _ in finished.set(finished.get + 100) }
                }
            }
        }
        let c = try server.client()
        try c.send("GET /gone HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(20_000)
        c.abort()
        // New connections may take the old slot again: only the generation tells them apart.
        let fresh = try (0..<4).map { _ in try server.client() }
        usleep(200_000)
        #expect(fired.get == 1)
        #expect(finished.get == 0, "the finish body never runs for a closed connection")
        for f in fresh {
            try f.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try f.readResponse().bodyText == "fast")
        }
        try fresh[0].send("GET /twice HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try fresh[0].readResponse().bodyText == "once")
        #expect(try fresh[0].readResponse().bodyText == "fast")
        #expect(finished.get == 0, "a second finish does nothing")
    }

    @Test func aDrainWaitsForDeferredResponsesAndClosesAfterThem() throws {
        let server = try DeferredResponseTests.server { _ in }
        let c = try server.client()
        try c.send("GET /slow?ms=200 HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(50_000)
        server.server.stop()
        let r = try c.readResponse()
        #expect(r.bodyText == "slow 200")
        #expect(r.header("Connection") == "close")
        #expect(c.isClosedByServer())
        #expect(server.server.wait() == .drained)
    }

    @Test func aResponseNeverFinishedIsCutByTheIdleTimeout() throws {
        let server = try DeferredResponseTests.server({ router in
            router.get("/never") { _, response in _ = response.finishLater() }
        }, configure: { $0.timeouts.idle = 1 })
        let c = try server.client()
        try c.send("GET /never HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
        let start = DeferredResponseTests.now()
        #expect(c.drainUntilClosed() == 0, "nothing is sent: /fast waits behind the unfinished response")
        let waited = DeferredResponseTests.milliseconds(since: start)
        #expect(waited > 900 && waited < 3000, "closed after \(waited) ms")
        #expect(server.server.total(.idleTimeouts) == 1)
    }

    @Test func aHalfClosedClientStillGetsItsDeferredResponse() throws {
        let server = try DeferredResponseTests.server { _ in }
        let c = try server.client()
        try c.send("GET /slow?ms=30 HTTP/1.1\r\nHost: a\r\n\r\n")
        shutdown(c.fd, Int32(SHUT_WR))
        let r = try c.readResponse()
        #expect(r.bodyText == "slow 30")
        #expect(r.header("Connection") == "close")
        #expect(c.isClosedByServer())
    }

    @Test func finishingOffTheWorkerThreadStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            let parked = ParkedResponses()
            var router = Router()
            router.get("/wait") { _, response in parked.tokens.append(response.finishLater()) }
            var c = TestServer.configuration()
            c.configuredRoutes = []
            let server = try! TestServer(c, router: router)
            let client = try! server.client()
            try! client.send("GET /wait HTTP/1.1\r\nHost: a\r\n\r\n")
            usleep(100_000)
            // The test's thread is not the worker's: the precondition stops the process.
            parked.tokens.first?.finish { _ in }
            usleep(100_000)
            // Reached only if nothing stopped it: exit cleanly so the expectation fails.
            exit(0)
        }
    }
}
