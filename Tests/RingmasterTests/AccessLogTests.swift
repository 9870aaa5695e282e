// The access log over real sockets: the fields of common and JSON lines for 200, 404, 405 and
// 400 responses, lines on disk within a second with no further traffic (the tick's flush), a
// request whose body arrives while another connection is served, a reopen after the file was
// renamed (the supervisor's API, and SIGHUP on a real process), the drain's last flush, write
// failures counted without stopping service, and the configuration error for a bad format.
import Foundation
import Testing
@testable import Ringmaster

@Suite(.serialized) struct AccessLogTests {
    /// A fresh directory for one test's log files.
    func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-access-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    func server(logTo path: String, format: AccessLogFormat = .common) throws -> TestServer {
        var c = TestServer.configuration()
        c.accessLogPath = path
        c.accessLogFormat = format
        return try TestServer(c)
    }

    /// The file's complete lines.
    func lines(_ path: String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Waits until `path` holds at least `count` lines; returns them (possibly fewer on timeout).
    func waitForLines(_ path: String, count: Int, timeout: Double = 3) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var found = lines(path)
        while found.count < count && Date() < deadline {
            usleep(20_000)
            found = lines(path)
        }
        return found
    }

    /// GET /, a 404, POST / (405: the built-in routes take GET and HEAD) and a malformed head (400),
    /// each on its own connection; returns the responses in order.
    func exercise(_ server: TestServer) throws -> [TestResponse] {
        var responses: [TestResponse] = []
        for request in ["GET /?greeting=1 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /missing\"quote HTTP/1.0\r\nHost: a\r\n\r\n",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
                        "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"] {
            let client = try server.client()
            try client.send(request)
            responses.append(try client.readResponse())
        }
        return responses
    }

    @Test func commonLinesCarryTimeRequestStatusAndBodyBytes() throws {
        let path = try directory() + "/access.log"
        let server = try server(logTo: path)
        let responses = try exercise(server)
        #expect(responses.map(\.status) == [200, 404, 405, 400])
        let found = waitForLines(path, count: 4)
        #expect(found.count == 4, "lines: \(found)")
        guard found.count == 4 else { return }
        let stamp = #"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]"#
        let expected = [#""GET /\?greeting=1 HTTP/1.1" 200 13"#, #""GET /missing\\x22quote HTTP/1.0" 404 10"#,
                        #""POST / HTTP/1.1" 405 19"#, #""-" 400 16"#]
        for (line, tail) in zip(found, expected) {
            #expect(line.range(of: "^127\\.0\\.0\\.1 - - " + stamp + " " + tail + "$", options: .regularExpression) != nil, "line: \(line)")
        }
        #expect(zip(responses, [13, 10, 19, 16]).allSatisfy { $0.body.count == $1 }, "bytes match the bodies sent")
    }

    /// Common log format writes "-" for an empty body (HEAD, 301), as Apache and nginx do.
    @Test func fileAnswersAreLoggedWithTheirStatusAndBodySize() throws {
        let path = try directory() + "/access.log"
        let site = try SiteFixture()
        let server = try site.server { $0.accessLogPath = path }
        let c = try server.client()
        #expect(try c.get("/1k.bin").status == 200)
        #expect(try c.get("/1k.bin", ["Range: bytes=0-9"]).status == 206)
        #expect(try c.get("/nope").status == 404)
        #expect(try c.get("/sub").status == 301)
        #expect(try c.get("/1k.bin", method: "HEAD").status == 200)
        #expect(try server.client().get("/%2e%2e/etc/passwd").status == 400)
        let found = waitForLines(path, count: 6)
        let tails = found.map { $0.split(separator: "]", maxSplits: 1).last.map(String.init) ?? $0 }
        #expect(tails == [#" "GET /1k.bin HTTP/1.1" 200 1024"#, #" "GET /1k.bin HTTP/1.1" 206 10"#, #" "GET /nope HTTP/1.1" 404 10"#,
                          #" "GET /sub HTTP/1.1" 301 -"#, #" "HEAD /1k.bin HTTP/1.1" 200 -"#, #" "GET /%2e%2e/etc/passwd HTTP/1.1" 400 16"#])
    }

    @Test func jsonLinesParseWithTheSameFields() throws {
        let path = try directory() + "/access.json"
        let server = try server(logTo: path, format: .json)
        _ = try exercise(server)
        let found = waitForLines(path, count: 4)
        #expect(found.count == 4, "lines: \(found)")
        let objects = try found.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(objects.map { $0["status"] as? Int } == [200, 404, 405, 400])
        #expect(objects.map { $0["bytes"] as? Int } == [13, 10, 19, 16])
        #expect(objects.map { $0["method"] as? String } == ["GET", "GET", "POST", nil])
        #expect(objects.map { $0["target"] as? String } == ["/?greeting=1", "/missing\"quote", "/", nil])
        #expect(objects.map { $0["protocol"] as? String } == ["HTTP/1.1", "HTTP/1.0", "HTTP/1.1", nil])
        #expect(objects[3]["method"] is NSNull, "an unknown request line is null")
        for object in objects {
            let time = object["time"] as? String ?? ""
            #expect(time.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"#, options: .regularExpression) != nil, "time: \(time)")
        }
    }

    /// combined over a real connection: the client's address, Referer and User-Agent as sent
    /// (any case, the first of each), "-" for one not sent; JSON's request time is a number.
    @Test func combinedAndJSONLinesCarryTheHeadsFields() throws {
        let path = try directory() + "/access.log"
        let server = try server(logTo: path, format: .combined)
        let client = try server.client()
        try client.send("GET /a HTTP/1.1\r\nHost: a\r\nuser-AGENT: probe/1.0 (x)\r\nReferer: http://r.example/\r\nUser-Agent: second\r\n\r\n")
        _ = try client.readResponse()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        let found = waitForLines(path, count: 2)
        #expect(found.count == 2)
        guard found.count == 2 else { return }
        #expect(found[0].hasPrefix("127.0.0.1 - - ["), "\(found[0])")
        #expect(found[0].hasSuffix(#""GET /a HTTP/1.1" 404 10 "http://r.example/" "probe/1.0 (x)""#), "\(found[0])")
        #expect(found[1].hasSuffix(#""GET / HTTP/1.1" 200 13 "-" "-""#), "\(found[1])")

        let jsonPath = try directory() + "/access.json"
        let jsonServer = try self.server(logTo: jsonPath, format: .json)
        let jsonClient = try jsonServer.client()
        try jsonClient.send("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: probe\r\n\r\n")
        _ = try jsonClient.readResponse()
        let lines = waitForLines(jsonPath, count: 1)
        let object = try lines.first.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] } ?? [:]
        #expect(object["user_agent"] as? String == "probe")
        #expect(object["referer"] is NSNull)
        let time = object["request_time_us"] as? Int ?? -1
        #expect(time >= 0 && time < 1_000_000, "request_time_us \(time)")
    }

    @Test func aLineIsOnDiskWithinASecondWithNoFurtherTraffic() throws {
        let path = try directory() + "/access.log"
        let server = try server(logTo: path)
        let client = try server.client()
        try client.send(getRoot)
        _ = try client.readResponse()
        let sent = Date()
        let found = waitForLines(path, count: 1, timeout: 3)
        let waited = Date().timeIntervalSince(sent)
        #expect(found.count == 1)
        #expect(waited < 1.5, "flushed after \(waited) s")
        // The connection stays open and idle: only the tick can have flushed the line.
        try client.send(getRoot)
        #expect(try client.readResponse().status == 200)
    }

    @Test func aRequestWhoseBodyArrivesLaterKeepsItsRequestLine() throws {
        let path = try directory() + "/access.log"
        let server = try server(logTo: path)
        let slow = try server.client()
        try slow.send("POST /slow/upload?id=7 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        usleep(100_000)
        // Another connection's request is captured while the first still waits for its body.
        let other = try server.client()
        try other.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try other.readResponse().status == 200)
        try slow.send("hello")
        #expect(try slow.readResponse().status == 404)
        // A broken chunked body: the 400 still names the request it belonged to.
        let broken = try server.client()
        try broken.send("POST /chunks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        #expect(try broken.readResponse().status == 400)
        let found = waitForLines(path, count: 3)
        #expect(found.count == 3, "lines: \(found)")
        guard found.count == 3 else { return }
        #expect(found[0].hasSuffix(#""GET /healthz HTTP/1.1" 200 3"#), "line: \(found[0])")
        #expect(found[1].hasSuffix(#""POST /slow/upload?id=7 HTTP/1.1" 404 10"#), "line: \(found[1])")
        #expect(found[2].hasSuffix(#""POST /chunks HTTP/1.1" 400 16"#), "line: \(found[2])")
    }

    @Test func reopenAfterRenameWritesNewLinesToTheNewFile() throws {
        let dir = try directory()
        let path = dir + "/access.log", rotated = dir + "/access.log.1"
        let server = try server(logTo: path)
        let client = try server.client()
        try client.send("GET /before HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        // Rotated before the line was flushed: it still belongs to the renamed file.
        #expect(rename(path, rotated) == 0)
        try server.server.reopenAccessLog()
        usleep(200_000)
        try client.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        let new = waitForLines(path, count: 1)
        let old = waitForLines(rotated, count: 1)
        #expect(old.count == 1 && old.first?.contains("GET /before ") == true, "old: \(old)")
        #expect(new.count == 1 && new.first?.contains("GET /after ") == true, "new: \(new)")
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o640, "created with mode 0640")
    }

    @Test func drainWritesEveryBufferedLineBeforeTheWorkerEnds() throws {
        let path = try directory() + "/access.log"
        let server = try server(logTo: path)
        let client = try server.client()
        try client.send(String(repeating: "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", count: 50))
        for _ in 0..<50 { _ = try client.readResponse() }
        server.stop()
        let found = lines(path)
        #expect(found.count == 50, "every line is on disk when the server has stopped, not a tick later")
        #expect(found.allSatisfy { $0.hasSuffix(#""GET /plaintext HTTP/1.1" 200 13"#) })
    }

    @Test func writeFailuresAreCountedAndServiceGoesOn() throws {
        // Every write to /dev/full fails with ENOSPC.
        let server = try server(logTo: "/dev/full")
        let client = try server.client()
        try client.send(getRoot)
        #expect(try client.readResponse().status == 200)
        let deadline = Date().addingTimeInterval(3)
        while server.server.total(.accessLogWriteErrors) == 0 && Date() < deadline { usleep(20_000) }
        #expect(server.server.total(.accessLogWriteErrors) >= 1)
        try client.send("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        let metrics = try client.readResponse().bodyText
        #expect(metrics.contains("ringmaster_access_log_write_errors_total "))
        #expect(metrics.contains("ringmaster_access_log_dropped_total 0"))
    }

    @Test func anUnopenableLogStopsTheStartNamingThePath() throws {
        var c = TestServer.configuration()
        c.accessLogPath = "/nonexistent-dir-rm/access.log"
        #expect(throws: SetupError.self) { _ = try TestServer(c) }
    }

    @Test func badFormatIsAConfigurationErrorNamingTheKey() throws {
        let path = try temporaryConfigFile(#"{"access_log": {"path": "/tmp/a.log", "format": "extended"}}"#)
        let run = try CommandRun(["check-config", "--config", path])
        #expect(run.status == ExitCode.configurationError)
        #expect(run.stderr.contains("access_log.format"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains(#""common", "combined" or "json""#), "stderr: \(run.stderr)")
        let empty = try CommandRun(["check-config", "--set", "access_log.path="])
        #expect(empty.status == ExitCode.configurationError)
        #expect(empty.stderr.contains("access_log.path"), "stderr: \(empty.stderr)")
    }

    @Test func sighupReopensTheLogOfARunningProcess() throws {
        let dir = try directory()
        let path = dir + "/access.log", rotated = dir + "/access.log.1"
        let config = try temporaryConfigFile(ConfigurationReloadTests.config(#""access_log": {"path": "\#(path)", "format": "json"}"#))
        let child = try ServerProcess(arguments: ["--config", config])
        let port = try child.waitForPort()
        let client = try TestClient(port: port)
        try client.send("GET /one HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        #expect(waitForLines(path, count: 1).count == 1)
        #expect(rename(path, rotated) == 0)
        child.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        while !child.stderr.contains("SIGHUP: configuration unchanged") && Date() < deadline { usleep(20_000) }
        #expect(child.stderr.contains("SIGHUP: reopened the access log \(path)"), "stderr: \(child.stderr)")
        usleep(100_000)
        try client.send("GET /two HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = try client.readResponse()
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
        #expect(lines(rotated).map { $0.contains("\"/one\"") } == [true])
        #expect(lines(path).map { $0.contains("\"/two\"") } == [true])
    }
}
