// Request ids (docs/handlers.md, "Request ids and logging"): every handler request has one, the
// incoming X-Request-Id when it is a sane token, else a fresh 16-hex-digit id; the handler reads
// it and its logger carries it; the response echoes it (a deferred and an async answer too);
// the JSON access log records it.
import Foundation
import Logging
import Testing
@testable import Ringmaster

@Suite(.serialized) struct RequestIDTests {
    static func server(accessLog: String? = nil) throws -> TestServer {
        var router = Router()
        router.get("/id") { request, response in
            let logged = request.logger[metadataKey: "request_id"].map { "\($0)" } ?? "none"
            response.write("\(request.requestID) \(logged)")
        }
        router.get("/later") { request, response in
            let id = request.requestID
            let later = response.finishLater()
            request.worker.after(milliseconds: 5) { later.finish { $0.write(id) } }
        }
        router.get("/async") { request async throws in .text(request.requestID) }
        router.get("/own") { _, response in response.addHeader("X-Request-Id", "mine") }
        var c = TestServer.configuration()
        c.configuredRoutes = []
        c.accessLogPath = accessLog
        c.accessLogFormat = .json
        return try TestServer(c, router: router)
    }

    static func isGenerated(_ id: String) -> Bool {
        id.utf8.count == 16 && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    @Test func everyHandlerRequestHasAnIdEchoedInTheResponse() throws {
        let server = try Self.server()
        let client = try server.client()
        let first = try client.get("/id")
        let parts = first.bodyText.split(separator: " ").map(String.init)
        #expect(parts.count == 2 && Self.isGenerated(parts[0]) && parts[1] == parts[0], "the handler's id and its logger's: \(first.bodyText)")
        #expect(first.header("X-Request-Id") == parts[0])
        let second = try client.get("/id")
        #expect(second.header("X-Request-Id") != first.header("X-Request-Id"), "a fresh id per request")
        // A sane incoming id is kept; anything else is replaced.
        let given = try client.get("/id", ["X-Request-Id: lb-7f3a.42:9"])
        #expect(given.header("X-Request-Id") == "lb-7f3a.42:9" && given.bodyText.hasPrefix("lb-7f3a.42:9 "))
        let odd = try client.get("/id", ["X-Request-Id: has space"])
        #expect(Self.isGenerated(odd.header("X-Request-Id") ?? ""))
        let long = try client.get("/id", ["X-Request-Id: " + String(repeating: "a", count: 64)])
        #expect(Self.isGenerated(long.header("X-Request-Id") ?? ""))
        // A handler that sets its own keeps it, once.
        try client.send("GET /own HTTP/1.1\r\nHost: a\r\n\r\n")
        let own = try client.readResponse()
        #expect(own.header("X-Request-Id") == "mine")
        #expect(own.headers.filter { $0.0.lowercased() == "x-request-id" }.count == 1)
    }

    @Test func deferredAndAsyncAnswersEchoTheirRequestsId() throws {
        let server = try Self.server()
        let client = try server.client()
        for path in ["/later", "/async"] {
            let response = try client.get(path, ["X-Request-Id: req-\(path.dropFirst())"])
            #expect(response.header("X-Request-Id") == "req-\(path.dropFirst())" && response.bodyText == "req-\(path.dropFirst())", "\(path)")
            let fresh = try client.get(path)
            #expect(Self.isGenerated(fresh.bodyText) && fresh.header("X-Request-Id") == fresh.bodyText, "\(path)")
        }
    }

    @Test func theJSONAccessLogRecordsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-reqid-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let log = dir.path + "/access.log"
        let server = try Self.server(accessLog: log)
        let client = try server.client()
        let id = try #require(try client.get("/id").header("X-Request-Id"))
        #expect(try client.get("/nothing").status == 404)
        server.stop()
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.first??["request_id"] as? String == id)
        #expect(records.last??["request_id"] is NSNull, "a request no handler answered has none")
    }
}
