// Listener ownership: a port held by another process, another ringmaster included, is a
// startup error (exit 1, naming the port) unless sharing is asked for (`listen.shared`) or
// the new process takes over (`--takeover`), and the claim cannot be won twice even by
// simultaneous starts. One process's own workers still share their port.
import Foundation
import Glibc
import Testing
@testable import Ringmaster

/// A loopback port that was free a moment ago (bound to 0, read back, closed).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    return Listener.boundPort(of: fd)
}

@Suite(.serialized) struct PortOwnershipTests {
    @Test func aSecondRingmasterOnTheSamePortIsRefusedNamingThePort() throws {
        let port = freePort()
        let first = try ServerProcess(arguments: ["--port", "\(port)"])
        #expect(try first.waitForPort() == port)
        let second = try ServerProcess(arguments: ["--port", "\(port)"])
        #expect(second.waitForExit() == ExitCode.startupFailure)
        usleep(50_000)
        #expect(second.stderr.contains("127.0.0.1:\(port)") && second.stderr.contains("another ringmaster holds the port"), "stderr: \(second.stderr)")
        // The first still serves, alone.
        let client = try TestClient(port: port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        first.signal(SIGTERM)
        #expect(first.waitForExit() == ExitCode.success)
    }

    @Test func sharingIsExplicitWithListenShared() throws {
        let port = freePort()
        let first = try ServerProcess(arguments: ["--port", "\(port)", "--set", "listen.shared=true", "--set", "server_name=first"])
        _ = try first.waitForPort()
        let second = try ServerProcess(arguments: ["--port", "\(port)", "--set", "listen.shared=true", "--set", "server_name=second"])
        #expect(try second.waitForPort() == port)
        var servers: Set<String> = []
        for _ in 0..<64 where servers.count < 2 {
            let client = try TestClient(port: port)
            try client.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            servers.insert(try client.readResponse().header("Server") ?? "")
        }
        #expect(servers == ["first", "second"], "the kernel spreads connections over both")
        first.signal(SIGTERM)
        second.signal(SIGTERM)
        _ = first.waitForExit()
        _ = second.waitForExit()
    }

    @Test func aTakeoverSharesThenOwnsThePortOnceThePreviousOwnerExits() throws {
        let port = freePort()
        let old = try ServerProcess(arguments: ["--port", "\(port)"])
        _ = try old.waitForPort()
        let new = try ServerProcess(arguments: ["--port", "\(port)", "--takeover"])
        #expect(try new.waitForPort() == port)
        old.signal(SIGTERM)
        #expect(old.waitForExit() == ExitCode.success)
        let deadline = Date().addingTimeInterval(5)
        while !new.stderr.contains("takeover: this process now owns") && Date() < deadline { usleep(20_000) }
        #expect(new.stderr.contains("takeover: this process now owns 127.0.0.1:\(port)"), "stderr: \(new.stderr)")
        let third = try ServerProcess(arguments: ["--port", "\(port)"])
        #expect(third.waitForExit() == ExitCode.startupFailure, "the new owner is protected like the old one")
        new.signal(SIGTERM)
        #expect(new.waitForExit() == ExitCode.success)
    }

    @Test func simultaneousClaimsHaveExactlyOneWinner() throws {
        let port = freePort()
        let winners = ClaimCounter()
        let threads = (0..<16).map { _ in
            Thread {
                if let claim = try? PortClaim.exclusive(host: "127.0.0.1", port: port) {
                    winners.add()
                    usleep(200_000)
                    claim.release()
                }
            }
        }
        threads.forEach { $0.start() }
        usleep(100_000)
        while winners.finishedWaiting(threads) == false { usleep(10_000) }
        #expect(winners.count == 1)
    }

    @Test func oneProcessesWorkersShareItsOwnPortAndAStoppedServerLetsItGo() throws {
        let port = freePort()
        var c = TestServer.configuration()
        c.port = port
        c.workers = 2
        let server = try TestServer(c)
        #expect(server.server.workers.count == 2)
        #expect(server.server.portClaim?.held == true)
        #expect(throws: SetupError.self) { _ = try PortClaim.exclusive(host: "127.0.0.1", port: port) }
        server.stop()
        let again = try PortClaim.exclusive(host: "127.0.0.1", port: port)
        again.release()
    }
}

/// A thread-safe counter and a check that every thread has finished.
final class ClaimCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
    func finishedWaiting(_ threads: [Thread]) -> Bool { threads.allSatisfy { $0.isFinished } }
}
