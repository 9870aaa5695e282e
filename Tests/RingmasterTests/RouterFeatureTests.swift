// Path parameters, groups, middleware, thrown errors and the response builders, run through
// RouterTester: the same table matching, handler closures and head writer as the worker,
// without sockets.
import Logging
import RingmasterHTTP
import Testing
@testable import Ringmaster

/// Adds `name` to the `X-Trace` header on the way in and `name-after` on the way out.
struct Trace: Middleware {
    let name: String
    func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws {
        response.addHeader("X-Trace", name)
        next(request, &response)
        response.addHeader("X-Trace", "\(name)-after")
    }
}

/// Bearer-token auth as in docs/handlers.md: 401 with WWW-Authenticate unless the token fits.
struct BearerAuth: Middleware {
    let token: String
    func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws {
        guard request.header("Authorization") == "Bearer \(token)" else {
            throw HTTPError(.unauthorized, "missing or wrong token\n", headers: [.init("WWW-Authenticate", "Bearer")])
        }
        next(request, &response)
    }
}

struct Failure: Error {}

/// The logging and CORS middleware of docs/handlers.md, as written there.
struct RequestLogging: Middleware {
    let logger: Logger
    func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws {
        let start = ContinuousClock.now
        next(request, &response)
        logger.info("\(request.methodName) \(request.path) \(response.status.rawValue) \(ContinuousClock.now - start)")
    }
}

struct CORS: Middleware {
    let origin: String
    func handle(_ request: borrowing Request, _ response: inout Response, next: MiddlewareNext) throws {
        if request.method == .options {
            response.status = .noContent
            response.addHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
            response.addHeader("Access-Control-Allow-Headers", "Authorization, Content-Type")
        } else {
            next(request, &response)
        }
        response.addHeader("Access-Control-Allow-Origin", origin)
    }
}

@Suite struct RouterFeatureTests {
    @Test func pathParametersRawDecodedAndTyped() throws {
        var router = Router()
        router.get("/items/{id}") { request, response in
            let p = request.parameters
            response.write("\(p["id"] ?? "-") \(p.int("id").map(String.init) ?? "nil") \(p.count) \(p["other"] ?? "absent")")
        }
        router.get("/users/{name}/posts/{post}") { request, response in
            response.write("\(request.parameters.decoded("name") ?? "-") \(request.parameters["name"] ?? "-") \(request.parameters.int("post") ?? -1)")
        }
        router.get("/static/*/**") { request, response in
            response.write("rest=\(request.parameters.catchAll ?? "nil") count=\(request.parameters.count)")
        }
        router.get("/plain") { request, response in
            response.write("\(request.parameters.count) \(request.parameters.catchAll == nil)")
        }
        let app = RouterTester(router)
        #expect(try app.request(.get, "/items/7").bodyText == "7 7 1 absent")
        #expect(try app.request(.get, "/items/abc?x=1").bodyText == "abc nil 1 absent")
        #expect(try app.request(.get, "/items/-12").bodyText == "-12 -12 1 absent")
        #expect(try app.request(.get, "/items/99999999999999999999").bodyText.hasSuffix("nil 1 absent"), "overflow is not an integer")
        #expect(try app.request(.get, "/users/J%C3%BCrgen%20S/posts/3").bodyText == "Jürgen S J%C3%BCrgen%20S 3")
        #expect(try app.request(.get, "/static/v1/css/a+b.css").bodyText == "rest=css/a+b.css count=0")
        #expect(try app.request(.get, "/static/v1/").bodyText == "rest= count=0")
        #expect(try app.request(.get, "/plain").bodyText == "0 true")
        #expect(try app.request(.get, "/items/7/more").status == 404)
        #expect(try app.request(.get, "/static/v1").status == 404)
    }

    @Test func precedenceExactPatternPrefixAnd405() throws {
        var router = Router()
        router.get("/api/", match: .prefix) { _, response in response.write("prefix") }
        router.get("/api/{kind}/{id}") { _, response in response.write("pattern 1") }
        router.get("/api/items/{id}") { _, response in response.write("pattern 2") }
        router.get("/api/items/new") { _, response in response.write("exact") }
        router.delete("/api/items/{id}") { _, response in response.status = .noContent }
        router.body("/fixed/{x}", "a literal body route\n")
        let app = RouterTester(router)
        #expect(try app.request(.get, "/api/items/new").bodyText == "exact")
        #expect(try app.request(.get, "/api/items/7").bodyText == "pattern 2")
        #expect(try app.request(.get, "/api/users/7").bodyText == "pattern 1")
        #expect(try app.request(.get, "/api/users").bodyText == "prefix")
        #expect(try app.request(.delete, "/api/items/7").status == 204)
        let denied = try app.request(.post, "/api/items/7")
        #expect(denied.status == 405)
        #expect(denied.header("Allow") == "GET, HEAD, DELETE")
        #expect(try app.request(.get, "/nothing").status == 404)
        #expect(try app.request(.get, "/fixed/{x}").bodyText == "a literal body route\n", "only handler routes parse patterns")
        let head = try app.request(.head, "/api/items/7")
        #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "9")
    }

    @Test func groupsPrefixPathsAndCarryMiddleware() throws {
        var router = Router()
        router.use(Trace(name: "global"))
        router.get("/health") { _, response in response.write("ok") }
        router.group("/api") { api in
            api.use(Trace(name: "api"))
            api.get("/") { _, response in response.write("api root") }
            api.get("/items/{id}") { request, response in response.write("item \(request.parameters["id"]!)") }
            api.group("/admin") { admin in
                admin.use(BearerAuth(token: "s3cret"))
                admin.delete("/items/{id}") { request, response in response.write("deleted \(request.parameters["id"]!)") }
            }
        }
        router.get("/after") { _, response in response.write("after") }
        let app = RouterTester(router)
        #expect(try app.request(.get, "/health").headerValues("X-Trace") == ["global", "global-after"])
        let item = try app.request(.get, "/api/items/7")
        #expect(item.bodyText == "item 7")
        #expect(item.headerValues("X-Trace") == ["global", "api", "api-after", "global-after"], "outermost first")
        #expect(try app.request(.get, "/api").bodyText == "api root")
        let refused = try app.request(.delete, "/api/admin/items/3")
        #expect(refused.status == 401)
        #expect(refused.bodyText == "missing or wrong token\n")
        #expect(refused.header("WWW-Authenticate") == "Bearer")
        #expect(refused.headerValues("X-Trace") == ["global", "api", "api-after", "global-after"], "outer middleware sees the 401")
        let allowed = try app.request(.delete, "/api/admin/items/3", headers: [("Authorization", "Bearer s3cret")])
        #expect(allowed.status == 200 && allowed.bodyText == "deleted 3")
        #expect(try app.request(.get, "/items/7").status == 404, "group routes live under the prefix only")
        #expect(try app.request(.get, "/after").headerValues("X-Trace") == ["global", "global-after"])
        #expect(router.handlerNames.contains("DELETE /api/admin/items/{id}"))
    }

    @Test func middlewareCanShortCircuitAndAddHeadersAfter() throws {
        var router = Router()
        router.get("/early") { _, response in response.write("handler ran") }
        var app = RouterTester(router)
        #expect(try app.request(.get, "/early").bodyText == "handler ran", "routes added before use() keep no middleware")
        router.use { request, response, next in
            if request.queryItem("stop") != nil {
                response.text("stopped\n", status: .forbidden)
                return
            }
            next(request, &response)
            response.addHeader("Access-Control-Allow-Origin", "*")
        }
        router.get("/late") { _, response in response.write("late") }
        router.get("/missing") { _, _ throws in throw HTTPError(.notFound) }
        app = RouterTester(router)
        let late = try app.request(.get, "/late")
        #expect(late.bodyText == "late" && late.header("Access-Control-Allow-Origin") == "*")
        let stopped = try app.request(.get, "/late?stop=1")
        #expect(stopped.status == 403 && stopped.bodyText == "stopped\n" && stopped.header("Access-Control-Allow-Origin") == nil)
        let missing = try app.request(.get, "/missing")
        #expect(missing.status == 404 && missing.bodyText == "Not Found\n")
        #expect(missing.header("Access-Control-Allow-Origin") == "*", "a thrown error is answered inside the middleware")
        #expect(try app.request(.get, "/early").header("Access-Control-Allow-Origin") == nil)
    }

    @Test func theDocumentedMiddlewareWorks() throws {
        let log = CapturedLog()
        var router = Router()
        router.use(RequestLogging(logger: Logger(label: "access") { _ in CapturingHandler(log: log) }))
        router.group("/api") { api in
            api.use(CORS(origin: "https://example.com"))
            api.get("/items/{id}") { request, response in response.text("item \(request.parameters.int("id") ?? 0)\n") }
            api.options("/items/{id}") { _, _ in }
        }
        let app = RouterTester(router)
        let preflight = try app.request(.options, "/api/items/7", headers: [("Origin", "https://example.com")])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://example.com")
        #expect(preflight.header("Access-Control-Allow-Methods") == "GET, POST, PUT, DELETE")
        let item = try app.request(.get, "/api/items/7")
        #expect(item.bodyText == "item 7\n" && item.header("Access-Control-Allow-Origin") == "https://example.com")
        #expect(log.all.contains { $0.hasPrefix("info GET /api/items/7 200") })
        #expect(log.all.contains { $0.hasPrefix("info OPTIONS /api/items/7 204") })
        #expect(try app.request(.put, "/api/items/7").status == 405, "the table answers 405 before middleware")
    }

    @Test func thrownErrorsBecomeResponses() throws {
        let log = CapturedLog()
        var router = Router()
        router.get("/items/{id}") { request, response in
            guard let id = request.parameters.int("id") else { throw HTTPError(.badRequest, "id is not a number\n") }
            response.addHeader("X-Partial", "dropped on error")
            response.write("partial")
            if id == 0 { throw HTTPError(.notFound) }
            if id == 13 { throw Failure() }
            response.clearBody()
            response.write("item \(id)")
        }
        let app = RouterTester(router, logger: Logger(label: "test") { _ in CapturingHandler(log: log) })
        #expect(try app.request(.get, "/items/5").bodyText == "item 5")
        let bad = try app.request(.get, "/items/x")
        #expect(bad.status == 400 && bad.bodyText == "id is not a number\n")
        #expect(bad.header("Content-Type") == "text/plain; charset=utf-8")
        let missing = try app.request(.get, "/items/0")
        #expect(missing.status == 404 && missing.bodyText == "Not Found\n" && missing.header("X-Partial") == nil)
        #expect(log.all.isEmpty, "an HTTPError is an answer, not a failure")
        let failed = try app.request(.get, "/items/13")
        #expect(failed.status == 500 && failed.bodyText == "500 Internal Server Error\n" && failed.header("X-Partial") == nil)
        #expect(log.all.contains { $0.hasPrefix("error") && $0.contains("GET, HEAD /items/{id}") && $0.contains("Failure") && $0.contains("answered 500") })
    }

    @Test func textAndBytesBuilders() throws {
        var router = Router()
        router.get("/text") { _, response in
            response.write("discarded")
            response.text("created\n", status: .created)
        }
        router.get("/bytes") { _, response in response.bytes([0, 1, 2, 255], contentType: "application/x-test") }
        router.post("/echo") { request, response in response.bytes(request.bodyBytes) }
        let app = RouterTester(router)
        let text = try app.request(.get, "/text")
        #expect(text.status == 201 && text.bodyText == "created\n" && text.header("Content-Type") == "text/plain; charset=utf-8")
        let bytes = try app.request(.get, "/bytes")
        #expect(bytes.body == [0, 1, 2, 255] && bytes.header("Content-Type") == "application/x-test" && bytes.header("Content-Length") == "4")
        let echo = try app.request(.post, "/echo", body: "hello")
        #expect(echo.bodyText == "hello" && echo.header("Content-Type") == "application/octet-stream")
    }

    @Test func testerServesBodyRoutesAndRefusesWhatNeedsAServer() throws {
        var router = Router()
        router.body("/fixed", "fixed\n")
        router.metrics("/metrics")
        router.get("/later") { _, response in _ = response.finishLater() }
        let app = RouterTester(router)
        let fixed = try app.request(.get, "/fixed")
        #expect(fixed.status == 200 && fixed.bodyText == "fixed\n" && fixed.header("Server") == "ringmaster")
        #expect(throws: RouterTesterError.deferred) { try app.request(.get, "/later") }
        #expect(throws: RouterTesterError.self) { try app.request(.get, "/metrics") }
        #expect(throws: RouterTesterError.invalidRequest(400)) { try app.request(.get, "no-slash target") }
    }
}
