// Connection timeouts through the timing wheel: idle keep-alive, slowloris heads, stalled
// bodies and clients that stop reading, each cut on time and counted; progress keeps a
// connection alive.
import Glibc
import Testing
@testable import Ringmaster

@Suite struct TimingWheelTests {
    @Test func deadlinesExpireOnTheirTickAcrossTheWrap() {
        var wheel = TimingWheel(capacity: 100)
        for _ in 0..<250 { wheel.advance() }       // tick 251: deadlines wrap past 255
        wheel.set(3, seconds: 2)
        wheel.set(64, seconds: 5)
        wheel.set(99, seconds: 5)
        #expect(wheel.deadline(64) == 2)           // 251 + 5 + 1 wraps to 2 (0 means none)
        var fired: [Int: UInt8] = [:]
        for _ in 0..<10 {
            wheel.advance()
            var slot = 0
            while let s = wheel.nextExpired(from: slot, limit: 100) { fired[s] = wheel.tick; slot = s + 1 }
        }
        #expect(fired == [3: 254, 64: 2, 99: 2])
    }

    @Test func clearedAndUnsetSlotsNeverExpire() {
        var wheel = TimingWheel(capacity: 16)
        wheel.set(5, seconds: 1)
        wheel.clear(5)
        for _ in 0..<300 {
            wheel.advance()
            #expect(wheel.nextExpired(from: 0, limit: 16) == nil)
        }
    }
}

@Suite(.serialized) struct ConnectionTimeoutTests {
    func server(_ configure: (inout ServerConfiguration) -> Void) throws -> TestServer {
        var c = TestServer.configuration()
        configure(&c)
        return try TestServer(c)
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        let s = try server { $0.timeouts.idle = 1 }
        let c = try TestClient(port: s.port, timeoutSeconds: 5)
        try c.send(getRoot)
        #expect(try c.readResponse().status == 200)
        let start = monotonicSeconds()
        #expect(c.drainUntilClosed() != nil)
        let waited = monotonicSeconds() - start
        #expect(waited >= 0.9 && waited < 3.5, "closed after \(waited) s")
        #expect(s.server.total(.idleTimeouts) == 1)
    }

    @Test func progressKeepsAConnectionAlive() throws {
        let s = try server { $0.timeouts.idle = 1 }
        let c = try TestClient(port: s.port, timeoutSeconds: 5)
        for _ in 0..<8 {
            try c.send(getRoot)
            #expect(try c.readResponse().status == 200)
            usleep(400_000)
        }
        #expect(s.server.total(.idleTimeouts) == 0)
    }

    @Test func slowlorisHeadIsCutAtTheHeaderTimeout() throws {
        let s = try server { $0.timeouts.header = 1; $0.timeouts.idle = 30 }
        let c = try TestClient(port: s.port, timeoutSeconds: 5)
        let start = monotonicSeconds()
        var cut = false
        for byte in Array("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
            if (try? c.send([byte])) == nil { cut = true; break }
            usleep(100_000)
            // The 408 arrived; the lingering close goes on reading what the client still sends.
            if c.hasPendingInput() { break }
            if monotonicSeconds() - start > 4 { break }
        }
        let response = try? c.readResponse()
        #expect(response?.status == 408 || cut)
        #expect(monotonicSeconds() - start < 3.5)
        #expect(s.server.total(.headerTimeouts) == 1)
    }

    @Test func stalledBodyGets408() throws {
        let s = try server {
            $0.timeouts.body = 1
            $0.configuredRoutes = [RouteConfiguration(path: "/", methods: ["POST"], body: "x")]
        }
        let c = try TestClient(port: s.port, timeoutSeconds: 5)
        try c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        let r = try c.readResponse()
        #expect(r.status == 408)
        #expect(r.header("Connection") == "close")
        #expect(c.isClosedByServer())
        #expect(s.server.total(.bodyTimeouts) == 1)
    }

    @Test func clientThatStopsReadingIsCutAtTheWriteTimeout() throws {
        let s = try server {
            $0.timeouts.write = 1
            $0.plaintextBody = String(repeating: "x", count: 60_000)
        }
        let c = try TestClient(port: s.port, timeoutSeconds: 8, receiveBuffer: 4096)
        // 400 responses of 60 KB (24 MB) cannot fit in the socket buffers of a client that
        // never reads, so a send stalls.
        try c.send(String(repeating: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", count: 400))
        let start = monotonicSeconds()
        while s.server.total(.writeTimeouts) == 0 && monotonicSeconds() - start < 5 { usleep(50_000) }
        #expect(s.server.total(.writeTimeouts) == 1)
        #expect(monotonicSeconds() - start < 4)
        #expect(c.drainUntilClosed() != nil)
        #expect(s.server.total(.active) == 0)
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
