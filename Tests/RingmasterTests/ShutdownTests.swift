// The coordinated drain seen from outside: sd_notify readiness and stopping, and a SIGTERM
// under pipelined keep-alive load where no client sees a truncated response.
import Foundation
import Testing
@testable import Ringmaster

/// A unix datagram socket standing in for systemd's NOTIFY_SOCKET.
final class NotifySocket {
    let fd: Int32
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("rm-notify-\(UUID().uuidString.prefix(8))").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let r = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard r == 0 else { throw TestClientError.connect(errno) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd); unlink(path) }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 512, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}

@Suite(.serialized) struct ShutdownTests {
    @Test func sdNotifyReadyThenStopping() throws {
        let notify = try NotifySocket()
        let child = try ServerProcess(arguments: ["--port", "0"], environment: ["NOTIFY_SOCKET": notify.path])
        let ready = notify.receive()
        #expect(ready?.contains("READY=1") == true)
        #expect(ready?.contains("MAINPID=\(child.process.processIdentifier)") == true)
        _ = try child.waitForPort()
        child.signal(SIGTERM)
        #expect(notify.receive() == "STOPPING=1")
        #expect(child.waitForExit() == ExitCode.success)
    }

    /// systemd's reload protocol: RELOADING=1 with MONOTONIC_USEC, then READY=1 and a STATUS=
    /// that says whether the reload was applied or failed (and why).
    @Test func sdNotifyReportsEachReloadAndItsOutcome() throws {
        let notify = try NotifySocket()
        let path = try temporaryConfigFile(#"{"listen": {"port": 0}, "pin_workers": false, "plaintext_body": "one"}"#)
        let child = try ServerProcess(arguments: ["--config", path], environment: ["NOTIFY_SOCKET": notify.path])
        #expect(notify.receive()?.contains("READY=1") == true)
        try #"{"listen": {"port": 0}, "pin_workers": false, "plaintext_body": "two"}"#.write(toFile: path, atomically: false, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(notify.receive()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
        #expect(notify.receive() == "READY=1\nSTATUS=reload applied: plaintext_body")
        try #"{"listen": {"port": 0}, "pin_workers": false, "plaintext_body": "two",}"#.write(toFile: path, atomically: false, encoding: .utf8)
        child.signal(SIGHUP)
        #expect(notify.receive()?.hasPrefix("RELOADING=1") == true)
        #expect(notify.receive() == "READY=1\nSTATUS=reload failed: 1 configuration error(s); running configuration kept")
        child.signal(SIGTERM)
        #expect(notify.receive() == "STOPPING=1")
        #expect(child.waitForExit() == ExitCode.success)
    }

    @Test func sigtermUnderPipelinedLoadTruncatesNothing() throws {
        let child = try ServerProcess(arguments: ["--port", "0", "--workers", "1"])
        let port = try child.waitForPort()
        let batch = String(repeating: "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n", count: 4)
        let outcomes = LockedBox<[String]>([])
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        for _ in 0..<8 {
            finished.enter()
            Thread {
                defer { finished.leave() }
                var full = 0, partial = 0, truncated = 0
                guard let client = try? TestClient(port: port, timeoutSeconds: 5) else {
                    outcomes.update { $0.append("connect-failed") }
                    started.signal()
                    return
                }
                started.signal()
                // Bounded: at most 20,000 batches or until the server closes.
                for _ in 0..<20_000 {
                    guard (try? client.send(batch)) != nil else { break }
                    var got = 0
                    while got < 4 {
                        do {
                            let r = try client.readResponse()
                            if r.status != 200 || r.bodyText != "Hello, World!" { truncated += 1 }
                            got += 1
                        } catch TestClientError.closed { break } catch { truncated += 1; break }
                    }
                    if got == 4 { full += 1 } else if got > 0 { partial += 1 }
                    if got < 4 { break }
                }
                outcomes.update { $0.append("\(full) \(partial) \(truncated)") }
            }.start()
        }
        for _ in 0..<8 { started.wait() }
        usleep(300_000)
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success, "stderr: \(child.stderr)")
        finished.wait()
        let results = outcomes.get().map { $0.split(separator: " ").compactMap { Int($0) } }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0[0] > 0 }, "every client was served before the drain: \(results)")
        #expect(results.allSatisfy { $0[1] == 0 && $0[2] == 0 }, "full/partial/truncated batches per client: \(results)")
    }

    @Test func impossibleCPUListOnTheCommandLineExitsTwo() throws {
        let child = try ServerProcess(arguments: ["--port", "0", "--cpus", "4000"])
        #expect(child.waitForExit() == ExitCode.configurationError)
        usleep(50_000)
        #expect(child.stderr.contains("CPU 4000 is not in this process's allowed set"), "stderr: \(child.stderr)")
    }
}
