// Overload and hostile peers: buffer starvation, CQ overflow, the connection limit, resets
// mid-response, and connection churn returning the process to its baseline.
import Foundation
import Testing
@testable import Ringmaster

/// CPU time (user + system) of one thread of this process, in seconds.
func threadCPUSeconds(_ tid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    // Fields after the command: state is [0], utime [11], stime [12] (proc(5) fields 14, 15).
    let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Opens `count` connections, sends `request` on each at once, reads every response.
func burst(port: Int, count: Int, request: String = getRoot) throws -> Int {
    var clients: [TestClient] = []
    for _ in 0..<count { clients.append(try TestClient(port: port)) }
    for c in clients { try c.send(request) }
    var ok = 0
    for c in clients where (try? c.readResponse().status) == 200 { ok += 1 }
    return ok
}

/// A request of about 2.5 KiB: three receive buffers of 1 KiB each.
let paddedRequest = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \(String(repeating: "p", count: 2500))\r\n\r\n"

@Suite(.serialized) struct HardeningTests {
    @Test func eightBuffersServeFiveHundredConnectionsWithoutSpinning() throws {
        var c = TestServer.configuration()
        c.bufferCount = 8
        c.bufferSize = 1024
        c.bufferGroupsMax = 1
        let server = try TestServer(c)
        let tid = server.server.workers[0].threadID
        let cpuBefore = threadCPUSeconds(tid)
        let start = monotonicSeconds()
        // Each request spans three 1 KiB buffers, so 500 of them cannot fit in 8.
        #expect(try burst(port: server.port, count: 500, request: paddedRequest) == 500)
        let wall = monotonicSeconds() - start
        let cpu = threadCPUSeconds(tid) - cpuBefore
        #expect(server.server.total(.bufferStarvations) > 0, "the burst must actually starve the ring")
        #expect(server.server.total(.requests) == 500)
        // Parked connections wait for recycled buffers instead of re-arming into an empty
        // ring: the worker uses a fraction of a core, not a spinning one.
        #expect(cpu < max(0.5, wall * 0.8), "worker CPU \(cpu) s over \(wall) s")
        usleep(300_000)
        let idleCPU = threadCPUSeconds(tid)
        usleep(500_000)
        #expect(threadCPUSeconds(tid) - idleCPU < 0.05, "an idle worker after starvation does not spin")
    }

    @Test func bufferPoolGrowsUnderStarvation() throws {
        var c = TestServer.configuration()
        c.bufferCount = 8
        c.bufferSize = 1024
        c.bufferGroupsMax = 3
        let server = try TestServer(c)
        #expect(try burst(port: server.port, count: 300, request: paddedRequest) == 300)
        #expect(server.server.total(.bufferGroupsAdded) == 2)
        // The grown pool keeps serving, including through stale-completion recycling.
        #expect(try burst(port: server.port, count: 300, request: paddedRequest) == 300)
    }

    @Test func tinyCompletionQueueOverflowsWithoutLosingACompletion() throws {
        var c = TestServer.configuration()
        c.ringEntries = 8
        c.cqFactor = 1
        let server = try TestServer(c)
        #expect(try burst(port: server.port, count: 300) == 300)
        #expect(server.server.total(.requests) == 300)
        #expect(server.server.total(.completionOverflows) > 0, "the CQ of 8 must overflow under 300 connections")
    }

    @Test func connectionLimitClosesExtrasCleanlyAndKeepsServing() throws {
        var c = TestServer.configuration()
        c.maxConnections = 16
        let server = try TestServer(c)
        var held: [TestClient] = []
        for _ in 0..<16 {
            let client = try server.client()
            try client.send(getRoot)
            #expect(try client.readResponse().status == 200)
            held.append(client)
        }
        for _ in 0..<10 {
            let extra = try server.client()   // the kernel completes the handshake...
            #expect(extra.drainUntilClosed() != nil, "...and the worker closes it: no slot left")
        }
        // The kernel drops the connection it could not install as it posts the failed CQE,
        // so the client can see the close a moment before the worker counts it.
        for _ in 0..<100 where server.server.total(.acceptErrors) < 10 { usleep(10_000) }
        #expect(server.server.total(.acceptErrors) == 10)
        for client in held {
            try client.send(getRoot)
            #expect(try client.readResponse().status == 200)
        }
        held.removeAll()
        for _ in 0..<100 where server.server.total(.active) > 0 { usleep(10_000) }
        let fresh = try server.client()
        try fresh.send(getRoot)
        #expect(try fresh.readResponse().status == 200)
    }

    @Test func clientResetMidResponse() throws {
        var c = TestServer.configuration()
        c.plaintextBody = String(repeating: "y", count: 60_000)
        let server = try TestServer(c)
        for _ in 0..<20 {
            let client = try TestClient(port: server.port, receiveBuffer: 4096)
            try client.send(String(repeating: getRoot, count: 50))
            usleep(2_000)
            client.reset()
        }
        for _ in 0..<200 where server.server.total(.active) > 0 { usleep(10_000) }
        #expect(server.server.total(.active) == 0)
        let fresh = try server.client()
        try fresh.send(getRoot)
        #expect(try fresh.readResponse().body.count == 60_000)
    }

    @Test func quickAckAndNoDelayOptionsServe() throws {
        var c = TestServer.configuration()
        c.tcpQuickAck = true
        c.napiBusyPollMicroseconds = 50
        let server = try TestServer(c)
        #expect(try burst(port: server.port, count: 20) == 20)
        #expect(server.server.workers[0].summary.contains("napi="))
    }

    @Test func churnReturnsFileDescriptorsAndMemoryToBaseline() throws {
        let child = try ServerProcess(arguments: ["--port", "0"])
        let port = try child.waitForPort()
        let pid = child.process.processIdentifier
        func fds() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }
        func rssKB() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
        }
        // Warm up, then take the baseline.
        for _ in 0..<500 { let c = try TestClient(port: port); try c.send(getRoot); _ = try c.readResponse() }
        usleep(200_000)
        let fdBase = fds(), rssBase = rssKB()
        // 20,000 connections opened, used and dropped (half by FIN, half by RST); bounded.
        let deadline = monotonicSeconds() + 60
        for i in 0..<20_000 where monotonicSeconds() < deadline {
            let c = try TestClient(port: port)
            try c.send(getRoot)
            _ = try c.readResponse()
            if i % 2 == 1 { c.reset() }
        }
        usleep(300_000)
        #expect(fds() == fdBase, "open fds \(fdBase) -> \(fds())")
        #expect(rssKB() - rssBase < 2048, "RSS \(rssBase) KB -> \(rssKB()) KB")
        child.signal(SIGTERM)
        #expect(child.waitForExit() == ExitCode.success)
    }
}
