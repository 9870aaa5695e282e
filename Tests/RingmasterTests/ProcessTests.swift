// The executable as an operator runs it: clean exit on SIGTERM (also with idle keep-alive
// connections open), forced exit on a second signal, exit 2 with a precise message on a bad
// configuration.
import Foundation
import Testing
@testable import Ringmaster

@Suite(.serialized) struct ProcessTests {
    @Test func sigtermWithIdleKeepAliveConnectionsExitsZeroQuickly() throws {
        let child = try ServerProcess(arguments: ["--port", "0", "--workers", "1"])
        let port = try child.waitForPort()
        var clients: [TestClient] = []
        for _ in 0..<100 {
            let c = try TestClient(port: port)
            try c.send(getRoot)
            _ = try c.readResponse()
            clients.append(c)
        }
        let start = Date()
        child.signal(SIGTERM)
        let status = child.waitForExit()
        let elapsed = Date().timeIntervalSince(start)
        #expect(status == ExitCode.success, "stderr: \(child.stderr)")
        #expect(elapsed < 2, "drain of idle connections took \(elapsed) s")
        for c in clients { #expect(c.isClosedByServer()) }
        #expect(throws: (any Error).self, "the listener is closed") { _ = try TestClient(port: port) }
    }

    @Test func secondSigtermForcesExitDuringADrainHeldOpenBySlowClient() throws {
        let child = try ServerProcess(arguments: ["--port", "0"])
        let port = try child.waitForPort()
        // A client in the middle of a request holds the drain open.
        let slow = try TestClient(port: port)
        try slow.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        usleep(100_000)
        child.signal(SIGTERM)
        usleep(200_000)
        #expect(child.process.isRunning, "a partial request keeps the drain open")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.forced, "stderr: \(child.stderr)")
    }

    @Test func drainTimeoutExitsWithItsOwnCode() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("c.json")
        try #"{"listen": {"port": 0}, "shutdown_timeout_ms": 300}"#.write(to: file, atomically: true, encoding: .utf8)
        let child = try ServerProcess(arguments: ["--config", file.path])
        let port = try child.waitForPort()
        let slow = try TestClient(port: port)
        try slow.send("GET / HTTP/1.1\r\nHost: a\r\n")
        usleep(100_000)
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.drainTimedOut, "stderr: \(child.stderr)")
    }

    @Test(arguments: [
        (#"{"listen": {"port": 0}, "wokers": 2}"#, "unknown key wokers"),
        (#"{"listen": {"port": 70000}}"#, "listen.port"),
        (#"{"buffers": {"count": 1000}}"#, "a power of two"),
        (#"{"buffers": {"huge_pages": "maybe"}}"#, #""auto", "on" or "off""#),
        (#"{"workers": "many"}"#, #""auto" or an integer"#),
        (#"{"listen": {"hots": "x"}}"#, "unknown key listen.hots"),
        (#"not json"#, "not valid JSON"),
    ])
    func badConfigurationExitsTwoNamingTheKey(text: String, expected: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("bad.json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let child = try ServerProcess(arguments: ["--config", file.path])
        #expect(child.waitForExit() == ExitCode.configurationError)
        usleep(50_000)
        #expect(child.stderr.contains(expected), "stderr: \(child.stderr)")
        #expect(child.stderr.contains(file.path))
    }

    @Test func badPortFlagExitsTwo() throws {
        let child = try ServerProcess(arguments: ["--port", "99999"])
        #expect(child.waitForExit() == ExitCode.configurationError)
    }

    @Test func portInUseIsAStartupFailureWithAMessage() throws {
        let first = try ServerProcess(arguments: ["--port", "0"])
        let port = try first.waitForPort()
        // SO_REUSEPORT lets two of our own processes share a port, so hold it with a plain socket.
        let blocker = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(blocker) }
        first.signal(SIGTERM)
        _ = first.waitForExit()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        // The exited process's listeners are released by the kernel's asynchronous io_uring
        // teardown (io_ring_exit_work), a moment after the exit itself: retry for a second.
        var bound: Int32 = -1
        for _ in 0..<100 where bound != 0 {
            bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(blocker, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            if bound != 0 { usleep(10_000) }
        }
        try #require(bound == 0)
        listen(blocker, 1)
        let second = try ServerProcess(arguments: ["--port", "\(port)"])
        #expect(second.waitForExit() == ExitCode.startupFailure)
        usleep(50_000)
        #expect(second.stderr.contains("EADDRINUSE"), "stderr: \(second.stderr)")
    }

    @Test func defaultConfigFileIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = try ConfigurationLoader.load(path: root.appendingPathComponent("config/ringmaster.json").path)
        #expect(configuration.port == 8080)
        #expect(configuration.workers == nil, "auto: one worker per allowed CPU")
    }
}
