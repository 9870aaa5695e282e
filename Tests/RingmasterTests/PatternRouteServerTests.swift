// Pattern routes, groups, middleware and thrown errors over real sockets: parameters read in
// place from the receive buffer and from the collected copy of a request with a body, the
// middleware's headers on every answer, HTTPError and other errors answered (and logged) by
// the worker, and pipelined order kept.
import Glibc
import Logging
import RingmasterHTTP
import Testing
@testable import Ringmaster

@Suite(.serialized) struct PatternRouteServerTests {
    static func server(log: CapturedLog) throws -> TestServer {
        var router = Router()
        router.use(Trace(name: "global"))
        router.get("/items/{id}") { request, response throws in
            guard let id = request.parameters.int("id") else { throw HTTPError(.badRequest, "not a number: \(request.parameters["id"] ?? "")\n") }
            if id == 13 { throw Failure() }
            response.write("item \(id)")
        }
        router.group("/api") { api in
            api.use(BearerAuth(token: "t0ken"))
            api.put("/users/{user}/files/**") { request, response in
                response.write("\(request.parameters.decoded("user") ?? "-") \(request.parameters.catchAll ?? "-") \(request.bodyText)")
            }
        }
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration(path: "/configured", body: "from the file\n")]
        return try TestServer(c, router: router, logger: Logger(label: "test") { _ in CapturingHandler(log: log) })
    }

    @Test func parametersMiddlewareAndErrorsOverSockets() throws {
        let log = CapturedLog()
        let server = try PatternRouteServerTests.server(log: log)
        let c = try server.client()
        try c.send("GET /items/42?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        let item = try c.readResponse()
        #expect(item.status == 200 && item.bodyText == "item 42")
        #expect(item.headers.filter { $0.0 == "X-Trace" }.map(\.1) == ["global", "global-after"])
        try c.send("GET /items/abc HTTP/1.1\r\nHost: a\r\n\r\n")
        let bad = try c.readResponse()
        #expect(bad.status == 400 && bad.bodyText == "not a number: abc\n")
        #expect(bad.header("X-Trace") == "global", "middleware outside the failing handler still runs")
        try c.send("GET /items/13 HTTP/1.1\r\nHost: a\r\n\r\n")
        let failed = try c.readResponse()
        #expect(failed.status == 500 && failed.bodyText == "500 Internal Server Error\n")
        #expect(failed.header("Connection") == nil, "the connection stays open")
        #expect(log.all.contains { $0.contains("GET, HEAD /items/{id}") && $0.contains("answered 500") })
        try c.send("PUT /api/users/ann%20b/files/a/b.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        #expect(try c.readResponse().status == 401)
        // A body arriving in pieces: the parameters are captured from the collected copy.
        try c.send("PUT /api/users/ann%20b/files/a/b.txt HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t0ken\r\nContent-Length: 5\r\n\r\nhel")
        usleep(20_000)
        try c.send("lo")
        let put = try c.readResponse()
        #expect(put.status == 200 && put.bodyText == "ann b a/b.txt hello")
        try c.send("GET /items/7/x HTTP/1.1\r\nHost: a\r\n\r\nPOST /items/7 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(try c.readResponse().status == 404)
        let denied = try c.readResponse()
        #expect(denied.status == 405 && denied.header("Allow") == "GET, HEAD")
    }

    @Test func pipelinedPatternRequestsKeepTheirOrder() throws {
        let server = try PatternRouteServerTests.server(log: CapturedLog())
        let c = try server.client()
        var batch = ""
        for i in 0..<20 {
            batch += i % 4 == 3 ? "GET /configured HTTP/1.1\r\nHost: a\r\n\r\n" : "GET /items/\(100 + i) HTTP/1.1\r\nHost: a\r\n\r\n"
        }
        try c.send(batch)
        for i in 0..<20 {
            let body = try c.readResponse().bodyText
            #expect(body == (i % 4 == 3 ? "from the file\n" : "item \(100 + i)"), "response \(i)")
        }
    }
}
