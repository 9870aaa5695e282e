// Swift handlers over real sockets: the request view (method, path, query, headers, bodies
// by Content-Length and chunked), the response writer (status, headers, body, HEAD), 404/405
// next to handler routes, pipelined order, the limits that answer 500, and the HTTPTypes
// conversions round-tripping through a handler.
import Glibc
import HTTPTypes
import Logging
import RingmasterHTTP
import RingmasterHandlersHTTPTypes
import Synchronization
import Testing
@testable import Ringmaster

/// Something a test hands a handler and reads back afterwards.
final class Box<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    var get: Value { value.withLock { $0 } }
    func set(_ new: Value) { value.withLock { $0 = new } }
}

@Suite(.serialized) struct HandlerTests {
    /// Handlers only (the built-in routes off), plus a configured route beside them.
    static func server(_ build: (inout Router) -> Void, limits: HTTPLimitsChange? = nil, logger: Logger? = nil) throws -> TestServer {
        var router = Router()
        build(&router)
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration(path: "/configured", body: "from the file\n")]
        limits?(&c.limits)
        return try TestServer(c, router: router, logger: logger)
    }
    typealias HTTPLimitsChange = (inout HTTPLimits) -> Void

    static func echo(_ request: borrowing Request, _ response: inout Response) {
        response.contentType = "text/plain"
        response.addHeader("X-Method", request.methodName)
        response.write("\(request.path) \(request.bodyBytes.count) ")
        response.write(request.body)
    }

    @Test func getHandlerSeesPathQueryAndHeaders() throws {
        let server = try HandlerTests.server { router in
            router.get("/hello") { request, response in
                let name = request.queryItem("name") ?? "world"
                let agents = request.headerValues("x-agent").joined(separator: ",")
                response.status = .accepted
                response.addHeader("X-Query", request.query ?? "-")
                response.write("Hello, \(name)! \(request.method == .get) \(request.path) \(request.header("HOST") ?? "?") \(agents) \(request.headerCount)\n")
            }
        }
        let c = try server.client()
        try c.send("GET /hello?name=J%C3%BCrgen+S&x=1 HTTP/1.1\r\nHost: example\r\nX-Agent: a\r\nx-agent: b\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 202)
        #expect(r.bodyText == "Hello, Jürgen S! true /hello example a,b 3\n")
        #expect(r.header("X-Query") == "name=J%C3%BCrgen+S&x=1")
        #expect(r.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(r.header("Server") == "ringmaster" && r.header("Date") != nil)
        try c.send("GET /configured HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().bodyText == "from the file\n", "configured routes are served beside handlers")
    }

    @Test func postWithContentLengthBodyArrivingInPieces() throws {
        let server = try HandlerTests.server { $0.post("/echo", HandlerTests.echo) }
        let c = try server.client()
        try c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello")
        usleep(30_000)
        try c.send(" world")
        let r = try c.readResponse()
        #expect(r.bodyText == "/echo 11 hello world")
        #expect(r.header("X-Method") == "POST")
        // A body larger than a receive buffer and a chunk, then a pipelined request behind it.
        let big = [UInt8]((0..<100_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        try c.send(Array("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: \(big.count)\r\n\r\n".utf8) + big
                   + Array("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok".utf8))
        let large = try c.readResponse()
        #expect(large.status == 200, "the echo of 100 KB is streamed after its head")
        #expect(FileStreamingTests.checksum(large.body) == FileStreamingTests.checksum(Array("/echo \(big.count) ".utf8) + big))
        #expect(try c.readResponse().bodyText == "/echo 2 ok", "the pipelined request waited for the stream")
    }

    @Test func requestBodyIsWholeBeforeTheHandlerRuns() throws {
        let server = try HandlerTests.server { router in
            router.post("/sum") { request, response in
                var sum = 0
                for byte in request.bodyBytes { sum += Int(byte) }
                response.write("\(request.bodyBytes.count) \(sum)")
            }
        }
        let c = try server.client()
        let big = [UInt8]((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 7) })
        try c.send(Array("POST /sum HTTP/1.1\r\nHost: a\r\nContent-Length: \(big.count)\r\n\r\n".utf8) + big)
        #expect(try c.readResponse().bodyText == "200000 \(big.reduce(0) { $0 + Int($1) })")
    }

    @Test func postWithChunkedBodyAndContinue() throws {
        let server = try HandlerTests.server { $0.post("/echo", HandlerTests.echo) }
        let c = try server.client()
        try c.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        usleep(30_000)
        try c.send("lo\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\n")
        #expect(try c.readResponse().bodyText == "/echo 12 hello world!")
        try c.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
        #expect(try c.readResponse().status == 100)
        try c.send("abc")
        #expect(try c.readResponse().bodyText == "/echo 3 abc")
    }

    @Test func headOnAGetHandlerSendsTheHeadOnly() throws {
        let runs = Box(0)
        let server = try HandlerTests.server { router in
            router.get("/page") { request, response in
                runs.set(runs.get + 1)
                response.write("twelve bytes")
            }
        }
        let c = try server.client()
        try c.send("HEAD /page HTTP/1.1\r\nHost: a\r\n\r\nGET /page HTTP/1.1\r\nHost: a\r\n\r\n")
        let head = try c.readResponse(head: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "12")
        #expect(try c.readResponse().bodyText == "twelve bytes", "nothing of the HEAD body was sent before it")
        #expect(runs.get == 2)
    }

    @Test func notFoundAndMethodNotAllowedBesideHandlerRoutes() throws {
        let server = try HandlerTests.server { router in
            router.post("/items") { _, response in response.status = .created }
            router.delete("/items/", match: .prefix) { request, response in response.write("deleted \(request.path.dropFirst(7))") }
        }
        let c = try server.client()
        try c.send("GET /items HTTP/1.1\r\nHost: a\r\n\r\n")
        let denied = try c.readResponse()
        #expect(denied.status == 405)
        #expect(denied.header("Allow") == "POST")
        try c.send("GET /items/7 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().header("Allow") == "DELETE")
        try c.send("DELETE /items/7 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().bodyText == "deleted 7")
        try c.send("GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().status == 404)
        try c.send("POST /items HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(try c.readResponse().status == 201)
    }

    @Test func pipelinedRequestsToHandlersKeepTheirOrder() throws {
        let server = try HandlerTests.server { router in
            router.get("/n") { request, response in response.write(request.queryItem("i") ?? "?") }
            router.post("/n", HandlerTests.echo)
        }
        let c = try server.client()
        var batch = ""
        for i in 0..<24 {
            switch i % 3 {
            case 0: batch += "GET /n?i=\(i) HTTP/1.1\r\nHost: a\r\n\r\n"
            case 1: batch += "POST /n HTTP/1.1\r\nHost: a\r\nContent-Length: \(String(i).count)\r\n\r\n\(i)"
            default: batch += "GET /configured HTTP/1.1\r\nHost: a\r\n\r\n"
            }
        }
        try c.send(batch)
        for i in 0..<24 {
            let body = try c.readResponse().bodyText
            switch i % 3 {
            case 0: #expect(body == "\(i)")
            case 1: #expect(body == "/n \(String(i).count) \(i)")
            default: #expect(body == "from the file\n")
            }
        }
    }

    @Test func pipelinedResponsesLargerThanTheRoomLeftWaitWhole() throws {
        let server = try HandlerTests.server { router in
            router.get("/ten") { request, response in
                let mark = UInt8(ascii: "a") + UInt8(Int(request.queryItem("i") ?? "0") ?? 0)
                response.write([UInt8](repeating: mark, count: 10_000))
            }
        }
        let c = try server.client(receiveBuffer: 4096)
        var batch = ""
        for i in 0..<8 { batch += "GET /ten?i=\(i) HTTP/1.1\r\nHost: a\r\n\r\n" + (i == 3 ? "GET /configured HTTP/1.1\r\nHost: a\r\n\r\n" : "") }
        try c.send(batch)
        usleep(50_000)
        for i in 0..<8 {
            let r = try c.readResponse()
            #expect(r.status == 200)
            #expect(r.body == [UInt8](repeating: UInt8(ascii: "a") + UInt8(i), count: 10_000), "response \(i)")
            if i == 3 { #expect(try c.readResponse().bodyText == "from the file\n") }
        }
    }

    @Test func reloadKeepsTheHandlersAheadOfNewConfiguredRoutes() throws {
        var router = Router()
        router.get("/configured") { _, response in response.write("handler wins") }
        router.get("/h") { _, response in response.write("handler") }
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration(path: "/old", body: "old\n")]
        let server = try TestServer(c, router: router)
        let client = try server.client()
        c.configuredRoutes = [RouteConfiguration(path: "/new", body: "new\n"), RouteConfiguration(path: "/configured", body: "file\n")]
        for worker in server.server.workers { worker.control.reload(c.hotSettings) }
        usleep(100_000)
        for (path, expected) in [("/h", "handler"), ("/new", "new\n"), ("/configured", "handler wins")] {
            try client.send("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().bodyText == expected, "\(path)")
        }
        try client.send("GET /old HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().status == 404)
    }

    @Test func tooManyRoutesIsAConfigurationError() throws {
        var router = Router()
        for i in 0..<250 { router.body("/r\(i)", "x") }
        var c = TestServer.configuration()
        c.configuredRoutes = [RouteConfiguration(path: "/one-more", body: "")]
        #expect(throws: ConfigurationError.self) { try Server(configuration: c, router: router).start() }
    }

    @Test func responsesThatCannotBeSentAsWrittenAre500AndLogged() throws {
        let log = CapturedLog()
        let server = try HandlerTests.server({ router in
            router.get("/interim") { _, response in response.status = .continue }
            router.get("/inject") { request, response in
                response.addHeader("X-Echo", request.queryItem("v") ?? "")
                response.addHeader("Bad Name", "x")
                response.addHeader("Content-Length", "99")
                response.addHeader("Content-Type", "application/json")
                response.write("{}")
            }
        }, logger: Logger(label: "test") { _ in CapturingHandler(log: log) })
        let c = try server.client()
        try c.send("GET /interim HTTP/1.1\r\nHost: a\r\n\r\n")
        let interim = try c.readResponse()
        #expect(interim.status == 500)
        #expect(interim.header("Connection") == nil, "the connection stays open")
        #expect(log.all.contains { $0.contains("GET, HEAD /interim") && $0.contains("status 100 cannot end a response") })
        try c.send("GET /inject?v=a%0D%0ASet-Cookie:%20x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        let r = try c.readResponse()
        #expect(r.status == 200)
        #expect(r.header("X-Echo") == nil && r.header("Set-Cookie") == nil, "a CR LF in a value drops the header")
        #expect(r.header("Content-Length") == "2")
        #expect(r.header("Content-Type") == "application/json")
        #expect(log.all.filter { $0.contains("dropped") }.count == 3)
    }

    @Test func bodyOverTheLimitIs413() throws {
        let server = try HandlerTests.server({ $0.post("/echo", HandlerTests.echo) }, limits: { $0.maxBodyBytes = 1000 })
        let c = try server.client()
        try c.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + String(repeating: "x", count: 1000) + "\r\n1\r\nx\r\n0\r\n\r\n")
        #expect(try c.readResponse().status == 413)
        #expect(c.isClosedByServer())
    }

    @Test func httpTypesConversionsRoundTrip() throws {
        let seen = Box<HTTPRequest?>(nil)
        let fields = Box<HTTPFields?>(nil)
        let server = try HandlerTests.server { router in
            router.put("/convert") { request, response in
                seen.set(request.httpRequest)
                fields.set(request.httpFields)
                var answer = HTTPResponse(status: .created)
                for field in request.httpFields where field.name.rawName.hasPrefix("X-") { answer.headerFields.append(field) }
                answer.headerFields[.contentType] = "application/json"
                answer.headerFields[.contentLength] = "12345"
                response.apply(answer)
                response.write(request.body)
            }
        }
        let c = try server.client()
        try c.send("PUT /convert?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nX-Trace: a\r\nContent-Length: 2\r\nX-Trace: b\r\n\r\n{}")
        let r = try c.readResponse()
        #expect(r.status == 201)
        #expect(r.bodyText == "{}")
        #expect(r.header("Content-Type") == "application/json")
        #expect(r.header("Content-Length") == "2")
        #expect(r.headers.filter { $0.0 == "X-Trace" }.map { $0.1 } == ["a", "b"])
        var expected = HTTPRequest(method: .put, scheme: "http", authority: "example.com:8080", path: "/convert?q=1")
        expected.headerFields.append(HTTPField(name: HTTPField.Name("X-Trace")!, value: "a"))
        expected.headerFields[.contentLength] = "2"
        expected.headerFields.append(HTTPField(name: HTTPField.Name("X-Trace")!, value: "b"))
        #expect(seen.get == expected)
        #expect(fields.get?[HTTPField.Name("Host")!] == "example.com:8080")
        #expect(fields.get?.count == 4)
    }
}
