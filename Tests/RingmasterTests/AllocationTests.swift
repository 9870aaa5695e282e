// The hot path allocates nothing: over thousands of keep-alive, pipelined and body-carrying
// requests after warm-up, to configured routes and to Swift handlers, the worker thread makes
// zero heap allocations (counted by the CMallocCounter interposer, which sees every
// malloc/calloc/realloc/memalign of the process).
import CMallocCounter
import CoreMetrics
import Foundation
import Glibc
import Testing
@testable import Ringmaster
import RingmasterHTTP

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
        try expectNoAllocations(TestServer())
    }

    /// The same with the access log on: lines formatted, buffers written through the ring
    /// (60 rounds are about 0.7 MB of log, so the 64 KiB buffers fill and swap), all without a malloc.
    @Test func workerAllocatesNothingPerRequestWithTheAccessLogOn() throws {
        for format in AccessLogFormat.allCases {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-alloc-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var c = TestServer.configuration()
            c.accessLogPath = dir.appendingPathComponent("access.log").path
            c.accessLogFormat = format
            let server = try TestServer(c)
            try expectNoAllocations(server)
            server.stop()
            let logged = try String(contentsOfFile: c.accessLogPath!, encoding: .utf8).split(separator: "\n").count
            #expect(UInt64(logged) + server.server.total(.accessLogDropped) == server.server.total(.requests), "\(format): one line per request")
        }
    }

    /// Runs `round` `warmUp` times, then `measured` times while counting the allocations of
    /// the server's (only) worker thread. Returns them and the requests served meanwhile.
    /// RINGMASTER_TRACE_ALLOCATIONS=N prints where the first N allocations come from.
    func countWorkerAllocations(_ server: TestServer, warmUp: Int = 20, measured: Int = 60,
                                _ round: () throws -> Void) throws -> (allocations: Int, requests: UInt64) {
        for _ in 0..<warmUp { try round() }
        let before = server.server.total(.requests)
        malloc_counter_trace(Int32(getenv("RINGMASTER_TRACE_ALLOCATIONS").map { atoi($0) } ?? 0))
        malloc_counter_track(server.server.workers[0].threadID)
        for _ in 0..<measured { try round() }
        let allocations = Int(malloc_counter_count())
        malloc_counter_track(-1)
        return (allocations, server.server.total(.requests) - before)
    }

    /// Warms `server` up, then counts the worker's allocations over 10,080 requests.
    func expectNoAllocations(_ server: TestServer) throws {
        let clients = try (0..<8).map { _ in try server.client() }
        let (allocations, served) = try countWorkerAllocations(server) { try exercise(clients) }
        #expect(served == 60 * 8 * 21)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) requests")
    }

    /// The client address taken from a trusted load balancer's X-Forwarded-For (RealIP) on
    /// every request: parsed in place, no allocation.
    @Test func realIPResolvesWithoutAllocating() throws {
        var c = TestServer.configuration()
        c.realIPFrom = [AddressRange.parse("127.0.0.0/8")!, AddressRange.parse("10.0.0.0/8")!]
        let server = try TestServer(c)
        let clients = try (0..<4).map { _ in try server.client() }
        let (allocations, served) = try countWorkerAllocations(server) {
            for client in clients {
                try client.send("GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.7, [2001:db8::1]:443, 10.0.0.2\r\n\r\n")
                _ = try client.readResponse()
            }
        }
        #expect(served == 60 * 4)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) requests")
    }

    /// An async handler (docs/handlers.md, "Async handlers") is not on the zero-allocation
    /// path: the owned request copy, the task, its deferral and the answer allocate. Counted
    /// here so the number is known and cannot grow unnoticed (the synchronous path stays 0).
    @Test func asyncHandlersAllocateAFewTimesPerRequest() throws {
        var router = Router()
        router.get("/async/{id}") { request async throws in .text("item \(request.parameter("id") ?? "")\n") }
        var c = TestServer.configuration()
        c.configuredRoutes = []
        let server = try TestServer(c, router: router)
        let clients = try (0..<4).map { _ in try server.client() }
        let (allocations, served) = try countWorkerAllocations(server) {
            for client in clients {
                let response = try client.get("/async/7")
                #expect(response.status == 200)
            }
        }
        #expect(served == 60 * 4)
        let perRequest = Double(allocations) / Double(served)
        print("async handler: \(allocations) allocations for \(served) requests (\(perRequest) per request)")
        // 11 in a debug build: the task and its closures, the packed request copy (2), the
        // answer's body and its finish, and what the handler itself makes.
        #expect(perRequest <= 13, "async handlers allocated \(perRequest) times per request")
    }

    /// HTTPS after the handshakes: the same kinds of request (keep-alive, a 16-deep pipeline,
    /// HEAD, 404, a body) over eight TLS 1.3 connections. Records are decrypted from the
    /// provided buffers and encrypted into the output chunks by OpenSSL without a malloc.
    @Test func httpsAllocatesNothingPerRequestAfterTheHandshake() throws {
        let server = try TLSClient.server()
        let client = try TLSRounds(port: server.port)
        defer { client.finish() }
        let (allocations, served) = try countWorkerAllocations(server) { try client.round() }
        #expect(served == 60 * 8 * 20)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) HTTPS requests")
    }

    /// /metrics with the duration histogram, per-worker labels, process figures (getrusage,
    /// /proc reads, a getdents64 listing) and an embedder's swift-metrics: a scrape allocates
    /// nothing on the worker, and neither do the timed requests around it.
    @Test func metricsScrapeAllocatesNothingAfterWarmUp() throws {
        var c = TestServer.configuration()
        c.metricsWorkerLabel = true
        let server = try TestServer(c)
        let timer = CoreMetrics.Timer(label: "allocation_test_lookup", factory: MetricsRegistry.shared)
        timer.recordNanoseconds(1000)
        defer { timer.destroy() }
        let clients = try (0..<4).map { _ in try server.client() }
        let (allocations, served) = try countWorkerAllocations(server) {
            for client in clients {
                try client.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
                _ = try client.readResponse()
                try client.send("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
                _ = try client.readResponse()
            }
        }
        #expect(served == 60 * 4 * 2)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) requests and scrapes")
    }

    /// Proxied requests on kept-alive upstream connections: the response head relayed, a
    /// 100 KB body streamed from the upstream socket, a POST body forwarded. The worker
    /// allocates nothing once its pool and stream entries exist, with the access log off and
    /// with JSON lines naming the upstream and its time; a /metrics scrape with the
    /// per-upstream families each round.
    @Test func proxyingAllocatesNothingAfterWarmUp() throws {
        let upstream = try Upstream()
        defer { withExtendedLifetime(upstream) {} }
        let upload = (0..<204_800).map { UInt8($0 % 251) }
        // 48 KB in three chunks of 16 KB.
        var chunked: [UInt8] = []
        for part in 0..<3 { chunked += Array("4000\r\n".utf8) + upload[(part * 16384)..<((part + 1) * 16384)] + [13, 10] }
        chunked += Array("0\r\n\r\n".utf8)
        for format in [nil, AccessLogFormat.json] {
            var route = RouteConfiguration(path: "/app/", methods: RouteParser.methods, kind: "proxy", body: "")
            route.match = "prefix"
            route.proxy = ProxyOptions(upstreams: [UpstreamAddress.parse("127.0.0.1:\(upstream.port)")!])
            // The client is trusted: its X-Forwarded-For is kept and extended.
            route.proxy?.trustedProxies = [AddressRange.parse("10.0.0.0/8")!, AddressRange.parse("127.0.0.0/8")!]
            var c = TestServer.configuration()
            c.configuredRoutes = [route, RouteConfiguration(path: "/metrics", methods: ["GET"], kind: "metrics", body: "")]
            if let format {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-alloc-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                c.accessLogPath = dir.path + "/access.log"
                c.accessLogFormat = format
            }
            let server = try TestServer(c)
            let clients = try (0..<2).map { _ in try server.client() }
            let (allocations, served) = try countWorkerAllocations(server, warmUp: 5, measured: 20) {
                for client in clients {
                    #expect(try client.get("/app/name", ["X-Forwarded-For: 203.0.113.9"]).status == 200)
                    #expect(try client.get("/app/big?n=100000").body.count == 100_000)
                    try client.send("POST /app/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
                    _ = try client.readResponse()
                    // Streamed uploads (Worker+ProxyUpload.swift): 200 KB by length, 48 KB chunked.
                    try client.send(Array("POST /app/pattern HTTP/1.1\r\nHost: a\r\nContent-Length: 204800\r\n\r\n".utf8) + upload)
                    #expect(try client.readResponse().bodyText == "204800 ok")
                    try client.send(Array("POST /app/pattern HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + chunked)
                    #expect(try client.readResponse().bodyText == "49152 ok")
                }
                #expect(try clients[0].get("/metrics").bodyText.contains("ringmaster_upstream_server_up{"))
            }
            #expect(served == 20 * (2 * 5 + 1))
            #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) proxied requests (log \(String(describing: format)))")
        }
    }

    /// Cache hits copied into the output, a cached body streamed from memory, a file streamed
    /// with IORING_OP_READ, a 304, a 206 and a 404: none allocates once the cache is warm
    /// (its once-a-second revalidation is an open and an fstat, no allocation either).
    @Test func fileServingAllocatesNothingAfterWarmUp() throws {
        let site = try SiteFixture()
        try site.write("200k.bin", SiteFixture.pattern(200 << 10))
        try site.write("big.bin", SiteFixture.pattern(300 << 10))
        let server = try site.server { $0.fileCacheMaxFile = 256 << 10 }
        let clients = try (0..<4).map { _ in try server.client() }
        let tag = try clients[0].get("/1k.bin").header("ETag")!
        let (allocations, served) = try countWorkerAllocations(server, warmUp: 10) {
            for c in clients {
                try c.send("GET /1k.bin HTTP/1.1\r\nHost: a\r\n\r\nGET /style.css HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
                _ = try c.readResponse()
                _ = try c.readResponse()
                _ = try c.get("/200k.bin")
                _ = try c.get("/big.bin")
                _ = try c.get("/1k.bin", ["If-None-Match: \(tag)"])
                _ = try c.get("/1k.bin", ["Range: bytes=100-199"])
                _ = try c.get("/nope.txt")
            }
        }
        #expect(served == 60 * 4 * 7)
        #expect(allocations == 0, "the worker allocated \(allocations) times serving files")
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
        let (allocations, served) = try countWorkerAllocations(server) { try exerciseHandlers(clients) }
        #expect(served == 60 * 8 * 20)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) handler requests")
    }

    /// Pattern routes: captures taken into the worker's fixed array, read through the
    /// allocation-free accessors (`int`, `bytes`, `catchAllBytes`), with and without a body,
    /// beside an exact route on the same table.
    func exercisePatterns(_ clients: [TestClient]) throws {
        for client in clients {
            try client.send(String(repeating: "GET /items/42?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", count: 8))
            for _ in 0..<8 { _ = try client.readResponse() }
            try client.send("GET /files/css/site.css HTTP/1.1\r\nHost: a\r\n\r\nGET /items/new HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try client.readResponse()
            _ = try client.readResponse()
            try client.send("POST /items/7/notes HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
            _ = try client.readResponse()
            try client.send("GET /items/x HTTP/1.1\r\nHost: a\r\n\r\n")
            _ = try client.readResponse()
        }
    }

    @Test func patternRoutesAllocateNothingPerRequestAfterWarmUp() throws {
        var router = Router()
        router.get("/items/new") { _, response in response.write("new\n") }
        router.get("/items/{id}") { request, response in
            guard let id = request.parameters.int("id") else {
                response.status = .badRequest
                return
            }
            response.write(id == 42 ? "forty-two\n" : "other\n")
            if let raw = request.parameters.bytes("id") { response.write(raw) }
        }
        router.get("/files/**") { request, response in
            if let rest = request.parameters.catchAllBytes { response.write(rest) }
        }
        router.post("/items/{id}/notes") { request, response in
            if request.parameters.int("id") == 7 { response.write(request.bodyBytes) }
        }
        var configuration = TestServer.configuration()
        configuration.configuredRoutes = []
        let server = try TestServer(configuration, router: router)
        let clients = try (0..<8).map { _ in try server.client() }
        let (allocations, served) = try countWorkerAllocations(server) { try exercisePatterns(clients) }
        #expect(served == 60 * 8 * 12)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) pattern route requests")
    }

    /// A throwing handler that does not throw, inside a group with a middleware that adds a
    /// header after it: the chain itself costs no allocation (a thrown error would: it is boxed).
    @Test func middlewareChainsAllocateNothingPerRequestAfterWarmUp() throws {
        var router = Router()
        router.group("/api") { api in
            api.use(ConstantHeader())
            api.get("/items/{id}") { request, response throws in
                guard request.parameters.int("id") != nil else { throw HTTPError(.badRequest) }
                response.write("item\n")
            }
        }
        var configuration = TestServer.configuration()
        configuration.configuredRoutes = []
        let server = try TestServer(configuration, router: router)
        let clients = try (0..<8).map { _ in try server.client() }
        let (allocations, served) = try countWorkerAllocations(server) {
            for client in clients {
                try client.send(String(repeating: "GET /api/items/3 HTTP/1.1\r\nHost: a\r\n\r\n", count: 8))
                for _ in 0..<8 { _ = try client.readResponse() }
            }
        }
        #expect(served == 60 * 8 * 8)
        #expect(allocations == 0, "the worker allocated \(allocations) times for \(served) requests through a middleware chain")
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

/// Adds a constant header after the handler (no String built per request).
struct ConstantHeader: Middleware {
    func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws {
        next(request, &response)
        response.addHeader("Access-Control-Allow-Origin", "*")
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
