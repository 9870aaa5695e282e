// The `ringmaster-example` program as a user runs it: launched as a process on an ephemeral
// port with a static directory, its JSON API, health, metrics and files answered over real
// sockets, and a clean exit on SIGTERM.
import Foundation
import Testing

@Suite(.serialized) struct ExampleProgramTests {
    /// A directory with an index page, a stylesheet and a 100 KB file.
    static func staticDirectory() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ringmaster-example-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("css"), withIntermediateDirectories: true)
        try Data("<h1>items</h1>\n".utf8).write(to: root.appendingPathComponent("index.html"))
        try Data("h1 { color: teal }\n".utf8).write(to: root.appendingPathComponent("css/site.css"))
        try Data(count: 100_000).write(to: root.appendingPathComponent("big.bin"))
        return root
    }

    @Test func jsonAPIHealthMetricsAndStaticFiles() throws {
        let root = try ExampleProgramTests.staticDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let child = try ServerProcess(executable: "ringmaster-example", arguments: ["--port", "0", "--workers", "1", "--static", root.path])
        let port = try child.waitForPort()
        let c = try TestClient(port: port)

        try c.send("GET /api/items HTTP/1.1\r\nHost: a\r\n\r\n")
        let empty = try c.readResponse()
        #expect(empty.status == 200)
        #expect(empty.header("Content-Type") == "application/json")
        #expect(empty.bodyText == "[]")

        let body = #"{"name":"milk"}"#
        try c.send("POST /api/items HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let created = try c.readResponse()
        #expect(created.status == 201)
        #expect(created.header("Location") == "/api/items/1")
        #expect(created.bodyText == #"{"done":false,"id":1,"name":"milk"}"#)

        // Chunked, then two reads pipelined behind it.
        let second = #"{"name":"eggs","done":true}"#
        try c.send("POST /api/items HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\(String(second.utf8.count, radix: 16))\r\n\(second)\r\n0\r\n\r\n"
                   + "GET /api/items/2 HTTP/1.1\r\nHost: a\r\n\r\nGET /api/items HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().status == 201)
        #expect(try c.readResponse().bodyText == #"{"done":true,"id":2,"name":"eggs"}"#)
        #expect(try c.readResponse().bodyText == #"[{"done":false,"id":1,"name":"milk"},{"done":true,"id":2,"name":"eggs"}]"#)

        try c.send("POST /api/items HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nnope!")
        let bad = try c.readResponse()
        #expect(bad.status == 400)
        #expect(bad.bodyText.contains("error"))
        try c.send("GET /api/items/99 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().status == 404)
        try c.send("POST /api/items/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        let denied = try c.readResponse()
        #expect(denied.status == 405)
        #expect(denied.header("Allow") == "GET, HEAD, DELETE")
        try c.send("DELETE /api/items/1 HTTP/1.1\r\nHost: a\r\n\r\n")
        let deleted = try c.readResponse()
        #expect(deleted.status == 204)
        #expect(deleted.header("Content-Length") == nil, "RFC 9110 §8.6: no Content-Length on 204")
        try c.send("GET /api/items/1 HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().status == 404)

        // The async routes: the same store behind a database answering from another thread.
        let third = #"{"name":"tea"}"#
        try c.send("POST /api/v2/items HTTP/1.1\r\nHost: a\r\nContent-Length: \(third.utf8.count)\r\n\r\n\(third)"
                   + "GET /api/v2/items/3 HTTP/1.1\r\nHost: a\r\n\r\nGET /api/v2/items/77 HTTP/1.1\r\nHost: a\r\n\r\n")
        let posted = try c.readResponse()
        #expect(posted.status == 201 && posted.header("Location") == "/api/v2/items/3", "\(posted.status)")
        let fetched = try c.readResponse()
        #expect(fetched.status == 200 && fetched.bodyText.contains("\"name\":\"tea\""))
        #expect(try c.readResponse().status == 404)
        try c.send("POST /api/v2/items HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}")
        #expect(try c.readResponse().status == 400)
        // Streaming both ways: an upload of JSON lines, in chunks that split lines, then the
        // export, chunked, one line per item.
        let lines = #"{"name":"oats"}"# + "\n" + #"{"name":"rye","done":true}"# + "\n"
        try c.send("POST /api/v2/import HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + "9\r\n\(lines.prefix(9))\r\n\(String(lines.utf8.count - 9, radix: 16))\r\n\(lines.dropFirst(9))\r\n0\r\n\r\n")
        let imported = try c.readResponse()
        #expect(imported.status == 201 && imported.bodyText == #"{"imported":2}"#, "\(imported.status) \(imported.bodyText)")
        try c.send("GET /api/v2/export HTTP/1.1\r\nHost: a\r\n\r\n")
        let export = try c.readResponse()
        #expect(export.header("Transfer-Encoding") == "chunked")
        let names = export.bodyText.split(separator: "\n").compactMap { $0.firstRange(of: "\"name\":\"").map { line in line.upperBound } }.count
        #expect(names == 4 && export.bodyText.contains("\"rye\""), "eggs, tea, oats and rye: \(export.bodyText)")

        try c.send("GET /api/slow?ms=50 HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().bodyText == #"{"waited_ms":50}"#)
        #expect(try c.readResponse().bodyText == "ok\n")

        try c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let index = try c.readResponse()
        #expect(index.bodyText == "<h1>items</h1>\n")
        #expect(index.header("Content-Type") == "text/html; charset=utf-8")
        try c.send("GET /css/site.css HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().header("Content-Type") == "text/css; charset=utf-8")
        try c.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        let big = try c.readResponse()
        #expect(big.status == 200 && big.body == [UInt8](repeating: 0, count: 100_000))
        let probe = try TestClient(port: port)
        try probe.send("GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try probe.readResponse().status == 400, "the directory route keeps requests beneath its root")

        try c.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        let samples = try parseExposition(try c.readResponse().bodyText)
        #expect(samples["ringmaster_requests_total"] ?? 0 >= 14)

        child.signal(SIGTERM)
        #expect(child.waitForExit() == 0, "stderr: \(child.stderr)")
    }

    @Test func badFlagsExitWithUsage() throws {
        let child = try ServerProcess(executable: "ringmaster-example", arguments: ["--port", "huge"])
        #expect(child.waitForExit() == 2)
        // The pipe's reader thread may still be delivering stderr after the exit (a busy machine).
        let deadline = Date().addingTimeInterval(2)
        while !child.stderr.contains("usage: ringmaster-example") && Date() < deadline { usleep(10_000) }
        #expect(child.stderr.contains("--port: expected 0-65535"))
        #expect(child.stderr.contains("usage: ringmaster-example"))
    }
}
