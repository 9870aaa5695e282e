// The hot path allocates nothing: over thousands of keep-alive, pipelined and body-carrying
// requests after warm-up, to configured routes and to Swift handlers, the worker thread makes
// zero heap allocations (counted by the CMallocCounter interposer, which sees every
// malloc/calloc/realloc/memalign of the process).
import CMallocCounter
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct AllocationTests {
    /// One round of traffic on every client: plain keep-alive, a 16-deep pipelined batch,
    /// HEAD, 404, a Content-Length body and a chunked body.
    func exercise(_ clients: [TestClient]) throws {
        for client in clients {
            try client.send(getRoot)
            _ = try client.readResponse()
            try client.send(String(repeating: "GET /plaintext HTTP/1.1\r\nHost: a\r\nAccept: text/plain\r\n\r\n", count: 16))
            for _ in 0..<16 { _ = try client.readResponse() }
            try client.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try client.readResponse(head: true)
            try client.send("GET /nothing-here HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try client.readResponse()
            try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
            _ = try client.readResponse()
            try client.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            _ = try client.readResponse()
        }
    }

    @Test func workerAllocatesNothingPerRequestAfterWarmUp() throws {
        let server = try TestServer()
        let clients = try (0..<8).map { _ in try server.client() }
        for _ in 0..<20 { try exercise(clients) }
        let before = server.server.total(.requests)
        // RINGMASTER_TRACE_ALLOCATIONS=N prints where the first N allocations come from.
        malloc_counter_trace(Int32(getenv("RINGMASTER_TRACE_ALLOCATIONS").map { atoi($0) } ?? 0))
        malloc_counter_track(server.server.workers[0].threadID)
        for _ in 0..<60 { try exercise(clients) }
        let allocations = malloc_counter_count()
        malloc_counter_track(-1)
        let served = server.server.total(.requests) - before
        #expect(served == 60 * 8 * 21)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) requests")
    }

    /// Handlers: a constant body (with a header lookup and an added header), pipelined, HEAD,
    /// and bodies by Content-Length and chunked collected into the pooled request store.
    func exerciseHandlers(_ clients: [TestClient]) throws {
        for client in clients {
            try client.send("GET /const HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try client.readResponse()
            try client.send(String(repeating: "GET /const?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n", count: 16))
            for _ in 0..<16 { _ = try client.readResponse() }
            try client.send("HEAD /const HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try client.readResponse(head: true)
            try client.send("POST /length HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
            _ = try client.readResponse()
            try client.send("POST /length HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            _ = try client.readResponse()
        }
    }

    @Test func handlersAllocateNothingPerRequestAfterWarmUp() throws {
        var router = Router()
        router.get("/const") { request, response in
            response.contentType = "text/plain"
            response.addHeader("X-Handler", "constant")
            if request.headerBytes("host") == nil { response.status = .badRequest }
            response.write("Hello from a handler\n")
        }
        router.post("/length") { request, response in
            response.write(request.bodyBytes)
        }
        var configuration = TestServer.configuration()
        configuration.configuredRoutes = []
        let server = try TestServer(configuration, router: router)
        let clients = try (0..<8).map { _ in try server.client() }
        for _ in 0..<20 { try exerciseHandlers(clients) }
        let before = server.server.total(.requests)
        malloc_counter_trace(Int32(getenv("RINGMASTER_TRACE_ALLOCATIONS").map { atoi($0) } ?? 0))
        malloc_counter_track(server.server.workers[0].threadID)
        for _ in 0..<60 { try exerciseHandlers(clients) }
        let allocations = malloc_counter_count()
        malloc_counter_track(-1)
        let served = server.server.total(.requests) - before
        #expect(served == 60 * 8 * 20)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) handler requests")
    }

    @Test func theCounterSeesAllocationsOnTheTrackedThread() {
        // Guards the test above against a counter that cannot count.
        malloc_counter_track(Int32(curingThreadID()))
        let array = [Int](repeating: 7, count: 1000)
        let count = malloc_counter_count()
        malloc_counter_track(-1)
        #expect(array.count == 1000)
        #expect(count >= 1)
    }
}

import CURing
func curingThreadID() -> Int32 { curing_gettid() }

@Suite struct GeneratedHeaderAllocationTests {
    @Test func allowHeaderAllocatesNothing() {
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 8)
        defer { scratch.deallocate() }
        _ = Worker.writeAllowHeader([.get, .head], into: scratch)
        malloc_counter_trace(Int32(getenv("RINGMASTER_TRACE_ALLOCATIONS").map { atoi($0) } ?? 0))
        var total = 0
        let methods = MethodSet.read.union(.post)   // built outside: an array literal allocates
        malloc_counter_track(Int32(curingThreadID()))
        for _ in 0..<100 { total += Worker.writeAllowHeader(methods, into: scratch).count }
        let count = malloc_counter_count()
        malloc_counter_track(-1)
        #expect(total == 100 * "Allow: GET, HEAD, POST\r\n".utf8.count)
        #expect(count == 0)
    }
}
