// Async handlers on the worker's executor (docs/handlers.md, "Async handlers"): a handler that
// awaits a timer or work on another thread resumes on its worker's thread and answers;
// pipelined async requests are answered in order even when later ones finish first; thrown
// errors become statuses; a client that disconnects cancels its handler's task; a drain waits
// for a running handler; RouterTester runs async routes without sockets.
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Ringmaster

struct Item: Codable, Equatable, Sendable {
    var id: Int
    var name: String
}

/// Counts cancelled handlers across threads.
final class Cancellations: Sendable {
    let count = Atomic<Int>(0)
}

@Suite(.serialized) struct AsyncHandlerTests {
    static func router(cancellations: Cancellations = Cancellations()) -> Router {
        var router = Router()
        router.get("/items/{id}") { request async throws in
            guard let id = request.intParameter("id") else { throw HTTPError(.badRequest, "id must be an integer\n") }
            if id == 404 { throw HTTPError(.notFound, "no item \(id)\n") }
            let before = pthread_self()
            try await Task.sleep(for: .milliseconds(1))
            // The task resumes on the worker that started it.
            let same = pthread_equal(before, pthread_self()) != 0
            return try .json(Item(id: id, name: same ? "same thread" : "another thread"))
        }
        router.get("/elsewhere") { request async throws in
            let before = pthread_self()
            // Work finished on another thread: the continuation is resumed from there.
            let value = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(2)) { continuation.resume(returning: 42) }
            }
            return .text("\(value) \(pthread_equal(before, pthread_self()) != 0 ? "same" : "moved")\n")
        }
        router.get("/delay") { request async throws in
            let n = Int(request.query?.split(separator: "=").last ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds(max(0, 40 - n)))
            return .text("\(n)\n")
        }
        router.post("/items") { request async throws in
            let item = try request.decode(Item.self)
            return try .json(item, status: .created)
        }
        router.get("/fails") { _ async throws -> AsyncResponse in
            struct Broken: Error {}
            throw Broken()
        }
        router.get("/forever") { _ async throws in
            do {
                try await Task.sleep(for: .seconds(30))
            } catch is CancellationError {
                cancellations.count.add(1, ordering: .relaxed)
                throw CancellationError()
            }
            return .text("too late\n")
        }
        router.get("/slow") { _ async throws in
            try await Task.sleep(for: .milliseconds(300))
            return .text("finished\n")
        }
        return router
    }

    static func server(_ router: Router) throws -> TestServer {
        var c = TestServer.configuration()
        c.configuredRoutes = []
        return try TestServer(c, router: router)
    }

    @Test func anAsyncHandlerAwaitsAndResumesOnItsWorker() throws {
        let server = try Self.server(Self.router())
        let client = try server.client()
        for id in [7, 8] {
            let response = try client.get("/items/\(id)")
            #expect(response.status == 200 && response.header("Content-Type") == "application/json")
            #expect(try JSONDecoder().decode(Item.self, from: Data(response.body)) == Item(id: id, name: "same thread"))
        }
        let elsewhere = try client.get("/elsewhere")
        #expect(elsewhere.bodyText == "42 same\n")
        #expect(server.server.workers[0].statistics.value(.requests) >= 3)
    }

    @Test func pipelinedAsyncRequestsAreAnsweredInOrder() throws {
        let server = try Self.server(Self.router())
        let client = try server.client()
        // Later requests sleep less, so their tasks finish first; answers keep request order.
        try client.send((0..<40).map { "GET /delay?n=\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined())
        let bodies = try (0..<40).map { _ in try client.readResponse().bodyText }
        #expect(bodies == (0..<40).map { "\($0)\n" })
    }

    @Test func thrownErrorsBecomeStatuses() throws {
        let server = try Self.server(Self.router())
        let client = try server.client()
        let missing = try client.get("/items/404")
        #expect(missing.status == 404 && missing.bodyText == "no item 404\n")
        #expect(try client.get("/items/x").status == 400)
        #expect(try client.get("/fails").status == 500)
        try client.send("POST /items HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n{\"id\": 1}")
        let bad = try client.readResponse()
        #expect(bad.status == 400 && bad.bodyText.contains("missing \"name\""), "\(bad.bodyText)")
        let json = #"{"id": 2, "name": "milk"}"#
        try client.send("POST /items HTTP/1.1\r\nHost: a\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)")
        let created = try client.readResponse()
        #expect(created.status == 201 && (try? JSONDecoder().decode(Item.self, from: Data(created.body))) == Item(id: 2, name: "milk"))
        // The connection is still good after all of them.
        #expect(try client.get("/items/1").status == 200)
    }

    @Test func aClientThatDisconnectsCancelsItsHandler() throws {
        let cancellations = Cancellations()
        let server = try Self.server(Self.router(cancellations: cancellations))
        let client = try server.client()
        try client.send("GET /forever HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(100_000)
        client.abort()
        let deadline = Date().addingTimeInterval(5)
        while cancellations.count.load(ordering: .relaxed) == 0 && Date() < deadline { usleep(10_000) }
        #expect(cancellations.count.load(ordering: .relaxed) == 1)
        // The worker serves on.
        #expect(try server.client().get("/items/3").status == 200)
    }

    @Test func aDrainWaitsForARunningHandler() throws {
        let server = try Self.server(Self.router())
        let client = try server.client()
        try client.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(50_000)
        server.server.stop()
        let response = try client.readResponse()
        #expect(response.status == 200 && response.bodyText == "finished\n")
        #expect(response.header("Connection") == "close")
    }

    @Test func routerTesterRunsAsyncRoutes() throws {
        let app = RouterTester(Self.router())
        let item = try app.request(.get, "/items/5")
        // JSONEncoder does not promise a key order: decoded, not compared as text.
        #expect(item.status == 200 && (try? JSONDecoder().decode(Item.self, from: Data(item.body))) == Item(id: 5, name: "same thread"))
        #expect(try app.request(.get, "/elsewhere").bodyText == "42 same\n")
        #expect(try app.request(.get, "/items/404").status == 404)
        let created = try app.request(.post, "/items", body: #"{"id": 9, "name": "tea"}"#)
        #expect(created.status == 201)
    }

    /// Everything an AsyncRequest carries, read back from its one packed copy (PackedText).
    @Test func theRequestCopyKeepsEveryPart() throws {
        var router = Router()
        router.post("/echo/{name}/{n}/**") { request async throws in
            let lines = [
                "\(request.method) \(request.methodName) \(request.path) \(request.query ?? "-")",
                "name=\(request.parameter("name") ?? "-") n=\(request.intParameter("n").map(String.init) ?? "-") missing=\(request.parameter("x") ?? "-")",
                "rest=\(request.catchAll ?? "-") params=\(request.parameters.map { "\($0.name):\($0.value)" }.joined(separator: ","))",
                "case=\(request.header("x-CASE") ?? "-") none=\(request.header("X-None") ?? "-") fields=\(request.headers.map(\.name).joined(separator: ","))",
                "id=\(request.requestID) body=\(request.bodyText)",
            ]
            return .text(lines.joined(separator: "\n"))
        }
        var c = TestServer.configuration()
        c.configuredRoutes = []
        let server = try TestServer(c, router: router)
        let client = try server.client()
        try client.send("POST /echo/ann/42/a/b?q=1&r=2 HTTP/1.1\r\nHost: x\r\nX-Case: Mixed Value\r\nX-Request-Id: abc-123\r\nContent-Length: 4\r\n\r\nbody")
        let lines = try client.readResponse().bodyText.split(separator: "\n").map(String.init)
        #expect(lines == [
            "post POST /echo/ann/42/a/b q=1&r=2",
            "name=ann n=42 missing=-",
            "rest=a/b params=name:ann,n:42",
            "case=Mixed Value none=- fields=Host,X-Case,X-Request-Id,Content-Length",
            "id=abc-123 body=body",
        ])
        // The test initialiser gives the same accessors.
        let made = AsyncRequest(method: .get, path: "/p", query: nil, headers: [("Accept", "a/b")], parameters: [("id", "7")])
        #expect(made.methodName == "GET" && made.path == "/p" && made.query == nil && made.header("accept") == "a/b")
        #expect(made.intParameter("id") == 7 && made.catchAll == nil && made.requestID.isEmpty && made.parameters.count == 1)
    }
}
