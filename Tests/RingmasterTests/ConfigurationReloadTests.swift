// The configuration of a running process: SIGHUP applies hot keys to an open keep-alive
// connection without closing it, refuses an invalid file and restart-only changes (naming
// them) while serving on; privileges are dropped after binding; JSON log lines parse.
import Foundation
import Logging
import Testing
@testable import Ringmaster

@Suite(.serialized) struct ConfigurationReloadTests {
    /// A small, unpinned configuration on an ephemeral port, with `extra` keys added.
    static func config(_ extra: String) -> String {
        #"{"listen": {"port": 0}, "pin_workers": false, "buffers": {"count": 64, "huge_pages": "off"}, "ring": {"sq_entries": 256}, "max_connections": 256"#
            + (extra.isEmpty ? "" : ", " + extra) + "}"
    }

    /// Waits until stderr contains `text`.
    func waitFor(_ text: String, in child: ServerProcess, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if child.stderr.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    /// GET / on `client`, retried until the body is `expected` (the worker applies a reload
    /// between events, just after the log line) or the deadline passes.
    func body(of client: TestClient, becomes expected: String) throws -> Bool {
        let deadline = Date().addingTimeInterval(5)
        repeat {
            try client.send(getRoot)
            if try client.readResponse().bodyText == expected { return true }
            usleep(20_000)
        } while Date() < deadline
        return false
    }

    @Test func hotChangeAppliesToAnOpenKeepAliveConnection() throws {
        let path = try temporaryConfigFile(Self.config(#""plaintext_body": "one", "server_name": "first""#))
        let child = try ServerProcess(arguments: ["--config", path])
        let port = try child.waitForPort()
        let client = try TestClient(port: port)
        try client.send(getRoot)
        let before = try client.readResponse()
        #expect(before.bodyText == "one")
        #expect(before.header("Server") == "first")
        try Self.config(#""plaintext_body": "two", "server_name": "second", "timeouts": {"idle_s": 30}"#).write(toFile: path, atomically: false, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(waitFor("SIGHUP: applied", in: child), "stderr: \(child.stderr)")
        #expect(child.stderr.contains("plaintext_body"))
        #expect(child.stderr.contains("timeouts.idle_s = 30"))
        #expect(try body(of: client, becomes: "two"), "the same connection sees the new body")
        try client.send(getRoot)
        #expect(try client.readResponse().header("Server") == "second")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }

    /// The "applied" line names every changed key with its whole value: a long route list is
    /// not cut off in the middle.
    @Test func theAppliedLineIsNotCutOffForLongRoutes() throws {
        let path = try temporaryConfigFile(Self.config(#""routes": [{"path": "/a", "body": "a"}]"#))
        let child = try ServerProcess(arguments: ["--config", path])
        _ = try child.waitForPort()
        let routes = (0..<6).map { #"{"path": "/route-number-\#($0)-with-a-long-name", "body": "\#($0)"}"# }.joined(separator: ", ")
        try Self.config(#""routes": [\#(routes)]"#).write(toFile: path, atomically: false, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(waitFor("SIGHUP: applied", in: child), "stderr: \(child.stderr)")
        let line = child.stderr.split(separator: "\n").first { $0.contains("SIGHUP: applied") } ?? ""
        #expect(line.contains("/route-number-5-with-a-long-name"), "\(line)")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }

    @Test func invalidFileOnReloadKeepsTheRunningConfiguration() throws {
        let path = try temporaryConfigFile(Self.config(#""plaintext_body": "one""#))
        let child = try ServerProcess(arguments: ["--config", path])
        let port = try child.waitForPort()
        let client = try TestClient(port: port)
        try "{\"listen\": {\"port\": 0}, \"limits\": {\"header_count\": 5000}, \"plaintext_body\": \"two\"}".write(toFile: path, atomically: false, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(waitFor("SIGHUP: configuration error", in: child), "stderr: \(child.stderr)")
        #expect(child.stderr.contains("limits.header_count"))
        #expect(child.stderr.contains("keeping the running configuration"))
        try client.send(getRoot)
        #expect(try client.readResponse().bodyText == "one")
        let fresh = try TestClient(port: port)
        try fresh.send(getRoot)
        #expect(try fresh.readResponse().bodyText == "one")
        #expect(child.process.isRunning)
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }

    @Test func restartOnlyChangeIsNamedAndNotApplied() throws {
        let path = try temporaryConfigFile(Self.config(#""plaintext_body": "one""#))
        let child = try ServerProcess(arguments: ["--config", path])
        let port = try child.waitForPort()
        try #"{"listen": {"port": 0, "backlog": 16}, "pin_workers": false, "buffers": {"count": 64, "huge_pages": "off"}, "ring": {"sq_entries": 256}, "max_connections": 512, "plaintext_body": "two"}"#
            .write(toFile: path, atomically: false, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(waitFor("SIGHUP: restart needed to change listen.backlog, max_connections;", in: child), "stderr: \(child.stderr)")
        let client = try TestClient(port: port)
        try client.send(getRoot)
        #expect(try client.readResponse().bodyText == "one", "nothing of a refused reload is applied")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }

    /// The `Uid:`/`Gid:`/`Groups:` fields of /proc/PID/status.
    func credentials(of pid: Int32) throws -> [String: String] {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        var fields: [String: String] = [:]
        for line in status.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ") }
        }
        return fields
    }

    @Test(.enabled(if: getuid() == 0 && getpwnam("nobody") != nil && getgrnam("nogroup") != nil, "needs root and nobody/nogroup"))
    func privilegesAreDroppedAfterBinding() throws {
        let uid = getpwnam("nobody")!.pointee.pw_uid, gid = getgrnam("nogroup")!.pointee.gr_gid
        let path = try temporaryConfigFile(Self.config(#""user": "nobody", "group": "nogroup""#))
        let child = try ServerProcess(arguments: ["--config", path])
        let port = try child.waitForPort()
        let fields = try credentials(of: child.process.processIdentifier)
        #expect(fields["Uid"] == "\(uid) \(uid) \(uid) \(uid)", "\(fields)")
        #expect(fields["Gid"] == "\(gid) \(gid) \(gid) \(gid)", "\(fields)")
        #expect(fields["Groups"] == "\(gid)", "\(fields)")
        // Every thread, the workers included, switched (glibc applies setuid process-wide).
        for task in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.process.processIdentifier)/task") {
            let status = try String(contentsOfFile: "/proc/\(child.process.processIdentifier)/task/\(task)/status", encoding: .utf8)
            #expect(status.contains("Uid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)"), "thread \(task)")
        }
        #expect(child.stderr.contains("privileges dropped"))
        #expect(!child.stderr.contains("running as root with no user configured"))
        let client = try TestClient(port: port)
        try client.send(getRoot)
        #expect(try client.readResponse().status == 200, "still serves after the drop")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }

    @Test(.enabled(if: getuid() == 0, "needs root"))
    func rootWithoutUserWarnsOnce() throws {
        let child = try ServerProcess(arguments: ["--port", "0"])
        _ = try child.waitForPort()
        #expect(child.stderr.components(separatedBy: "running as root with no user configured").count == 2, "stderr: \(child.stderr)")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }

    @Test func jsonLogFormatWritesOneParseableObjectPerLine() throws {
        let child = try ServerProcess(arguments: ["--port", "0", "--set", "pin_workers=false"], environment: ["RINGMASTER_LOGGING_FORMAT": "json"])
        _ = try child.waitForPort()
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
        usleep(50_000)
        let lines = child.stderr.split(separator: "\n")
        #expect(lines.count >= 3)
        var messages: [String] = []
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["time"] is String && object?["level"] is String && object?["label"] as? String == "ringmaster", "\(line)")
            messages.append(object?["message"] as? String ?? "")
        }
        #expect(messages.contains { $0.hasPrefix("configuration (") }, "the effective configuration summary is logged")
        #expect(messages.contains { $0.hasPrefix("listening on") })
    }

    /// Metadata are fields of the line, not text in `message` or a nested object.
    @Test func jsonLogLinesCarryWorkerCpuAndPortAsFields() throws {
        let child = try ServerProcess(arguments: ["--port", "0", "--workers", "2", "--set", "pin_workers=false"],
                                      environment: ["RINGMASTER_LOGGING_FORMAT": "json"])
        let port = try child.waitForPort()
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
        usleep(50_000)
        let objects = try child.stderr.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        let workers = objects.filter { $0["worker"] != nil }
        #expect(Set(workers.compactMap { $0["worker"] as? String }) == ["0", "1"], "\(child.stderr)")
        #expect(workers.allSatisfy { $0["cpu"] as? String == "any" && $0["metadata"] == nil })
        let listening = objects.first { ($0["message"] as? String)?.hasPrefix("listening on") == true }
        #expect(listening?["port"] as? String == "\(port)")
        #expect(listening?["workers"] as? String == "2")
        #expect(objects.contains { $0["signal"] as? String == "\(SIGTERM)" })
    }

    @Test func aMetadataKeyNamedLikeALineFieldDoesNotReplaceIt() throws {
        let event = LogEvent(level: .info, message: "hello", metadata: ["message": "other", "list": .array(["a", "b"])], source: "test",
                             file: #fileID, function: #function, line: #line)
        let line = JSONLogLine.line(label: "l", event: event, metadata: ["worker": "3"])
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["message"] as? String == "hello")
        #expect(object?["_message"] as? String == "other")
        #expect(object?["worker"] as? String == "3")
        #expect(object?["list"] as? [String] == ["a", "b"])
    }
}
