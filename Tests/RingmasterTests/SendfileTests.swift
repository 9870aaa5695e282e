// Large file bodies by sendfile(2) (issue 15, item 1): byte-exact bodies from 64 KiB to
// 300 MB with ranges, HEAD, keep-alive and pipelining; a slow reader (EAGAIN, then the ring
// poll); the write timeout; a file dropped from the page cache (its pieces go by the ring's
// read); no leaked installed descriptors; the READ + SEND fallback when sendfile is off.
import Foundation
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct SendfileTests {
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt64 { FileStreamingTests.checksum(bytes) }

    /// Open descriptors of this process (the server runs in it) on `path`. Counting only the
    /// served file keeps the count exact while other suites open sockets in parallel.
    static func openDescriptors(on path: String) -> Int {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
        return fds.count { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == target }
    }

    /// A site whose files above 16 KiB are never cached, so they go out by a file stream.
    static func server(_ site: SiteFixture, _ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        try site.server { $0.fileCacheMaxFile = 16 << 10; adjust(&$0) }
    }

    @Test func bodiesComeBackByteExactWithRangesHeadKeepAliveAndPipelining() throws {
        let site = try SiteFixture()
        let sizes = [64 << 10, 1 << 20, 20 << 20]
        for (i, size) in sizes.enumerated() { try site.write("f\(i).bin", SiteFixture.pattern(size, seed: i)) }
        let server = try SendfileTests.server(site)
        let c = try server.client()
        for (i, size) in sizes.enumerated() {
            let expected = SiteFixture.pattern(size, seed: i)
            // A pipelined request waits behind the large body on the same connection.
            try c.send("GET /f\(i).bin HTTP/1.1\r\nHost: a\r\n\r\nGET /style.css HTTP/1.1\r\nHost: a\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 200 && r.body.count == size)
            #expect(SendfileTests.checksum(r.body) == SendfileTests.checksum(expected), "\(size) bytes")
            #expect(try c.readResponse().bodyText == "body { color: red }\n")
            let range = try c.get("/f\(i).bin", ["Range: bytes=1000-\(size - 5)"])
            #expect(range.status == 206 && range.body.count == size - 4 - 1000)
            #expect(SendfileTests.checksum(range.body) == SendfileTests.checksum(expected[1000...(size - 5)]))
            let head = try c.get("/f\(i).bin", method: "HEAD")
            #expect(head.status == 200 && head.header("Content-Length") == "\(size)" && head.body.isEmpty)
        }
        #expect(try c.get("/1k.bin").body == SiteFixture.pattern(1024), "keep-alive after sendfile bodies")
        #expect(server.server.total(.sendfileInstalls) == 1, "one descriptor for the connection, reused by every body")
        #expect(server.server.total(.sendfilePieces) >= 2 + 4 + 80)
        #expect(server.server.total(.fileErrors) == 0)
    }

    @Test func aThreeHundredMegabyteFileComesBackIntact() throws {
        let site = try SiteFixture()   // under /tmp, removed with the fixture
        let path = site.root + "/huge.bin"
        let block = 1 << 20, blocks = 300
        let base = SiteFixture.pattern(block, seed: 11)
        // Each MiB is the pattern with its index in the first 8 bytes, so a misplaced piece shows.
        func expectedBlock(_ n: Int) -> [UInt8] {
            var bytes = base
            withUnsafeBytes(of: UInt64(n)) { for k in 0..<8 { bytes[k] = $0[k] } }
            return bytes
        }
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { unlink(path) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        for n in 0..<blocks { try handle.write(contentsOf: expectedBlock(n)) }
        try handle.close()
        let server = try SendfileTests.server(site)
        let c = try server.client()
        try c.send("GET /huge.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        let head = try SendfileTests.readHead(c.fd)
        #expect(head.contains("Content-Length: \(block * blocks)"))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: block, alignment: 16)
        defer { buffer.deallocate() }
        var mismatches = 0
        for n in 0..<blocks {
            var got = 0
            while got < block {
                let r = recv(c.fd, buffer + got, block - got, 0)
                guard r > 0 else { Issue.record("closed at block \(n)"); return }
                got += r
            }
            if expectedBlock(n).withUnsafeBytes({ memcmp($0.baseAddress!, buffer, block) }) != 0 { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(try c.get("/1k.bin").status == 200, "the connection is reusable after 300 MB")
        #expect(server.server.total(.sendfilePieces) >= 1200)
    }

    /// Reads a response head byte by byte from `fd` (so the body stays in the socket).
    static func readHead(_ fd: Int32) throws -> String {
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !(head.count >= 4 && head.suffix(4) == [13, 10, 13, 10]) {
            guard recv(fd, &byte, 1, 0) == 1 else { throw TestClientError.closed }
            head.append(byte)
        }
        return String(decoding: head, as: UTF8.self)
    }

    @Test func aSlowReaderFillsTheSocketAndThePollResumesSendfile() throws {
        let site = try SiteFixture()
        let big = SiteFixture.pattern(20 << 20, seed: 5)
        try site.write("big.bin", big)
        let server = try SendfileTests.server(site)
        let c = try TestClient(port: server.port, receiveBuffer: 4096)
        try c.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\nGET /style.css HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(300_000)   // the socket buffers fill: sendfile sends short pieces, then EAGAIN
        let r = try c.readResponse()
        #expect(r.body.count == big.count && SendfileTests.checksum(r.body) == SendfileTests.checksum(big))
        #expect(try c.readResponse().bodyText == "body { color: red }\n")
        // Every 256 KiB piece goes by sendfile, or by the ring when cachestat finds it not
        // (yet) in the page cache: the file was just written, and a piece under writeback
        // counts as cold (CI saw 78 sendfile pieces and 2 cold ones).
        #expect(server.server.total(.sendfilePieces) + server.server.total(.sendfileColdPieces) >= 80)
    }

    @Test func aClientThatNeverReadsIsCutAtTheWriteTimeout() throws {
        let site = try SiteFixture()
        try site.write("big.bin", SiteFixture.pattern(20 << 20))
        let server = try SendfileTests.server(site) { $0.timeouts.write = 1 }
        let c = try TestClient(port: server.port, timeoutSeconds: 8, receiveBuffer: 4096)
        try c.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        let start = monotonicSeconds()
        usleep(200_000)
        // The stalled body waits in a ring poll (POLLOUT), not in sendfile: the worker answers others.
        #expect(try server.client().get("/1k.bin").status == 200)
        #expect(server.server.total(.sendfilePieces) > 0)
        while server.server.total(.writeTimeouts) == 0 && monotonicSeconds() - start < 5 { usleep(50_000) }
        #expect(server.server.total(.writeTimeouts) == 1)
        #expect(monotonicSeconds() - start < 4)
        #expect(c.drainUntilClosed() != nil)
        #expect(server.server.total(.active) == 0)
    }

    @Test func aFileDroppedFromThePageCacheGoesByTheRingRead() throws {
        let site = try SiteFixture()
        let big = SiteFixture.pattern(8 << 20, seed: 9)
        try site.write("cold.bin", big)
        let server = try SendfileTests.server(site)
        let c = try server.client()
        let other = try server.client()
        for _ in 0..<2 {
            // Written pages are dirty: write them back, then drop them from the page cache.
            let fd = open(site.root + "/cold.bin", O_RDONLY)
            #expect(fd >= 0 && fdatasync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
            close(fd)
            try c.send("GET /cold.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            // The worker is not blocked on the disk: another connection is answered meanwhile.
            #expect(try other.get("/1k.bin").status == 200)
            let r = try c.readResponse()
            #expect(r.body.count == big.count && SendfileTests.checksum(r.body) == SendfileTests.checksum(big))
        }
        #expect(server.server.total(.sendfileColdPieces) > 0, "uncached pieces went by IORING_OP_READ")
        #expect(server.server.total(.fileErrors) == 0)
    }

    @Test func installedDescriptorsAreClosedWithTheirConnections() throws {
        let site = try SiteFixture()
        try site.write("m.bin", SiteFixture.pattern(1 << 20))
        let server = try SendfileTests.server(site)
        _ = try server.client().get("/1k.bin")   // warm-up: lazily opened files, the root
        usleep(100_000)
        let file = site.root + "/m.bin"
        let before = SendfileTests.openDescriptors(on: file)
        let probe = open(file, O_RDONLY)
        #expect(SendfileTests.openDescriptors(on: file) == before + 1, "the count sees a descriptor on the file")
        close(probe)
        for _ in 0..<3 {
            var clients: [TestClient] = []
            for _ in 0..<10 {
                let c = try server.client()
                for _ in 0..<2 { #expect(try c.get("/m.bin").body.count == 1 << 20) }
                clients.append(c)
            }
            // Half cut mid-body: they ask, read a little and reset.
            for i in 0..<10 {
                let c = try TestClient(port: server.port, receiveBuffer: 4096)
                try c.send("GET /m.bin HTTP/1.1\r\nHost: a\r\n\r\n")
                var scratch = [UInt8](repeating: 0, count: 1000)
                _ = recv(c.fd, &scratch, 1000, 0)
                if i % 2 == 0 { c.reset() }
            }
            clients.removeAll()
        }
        var after = SendfileTests.openDescriptors(on: file)
        for _ in 0..<40 where after != before || server.server.total(.active) > 0 {
            usleep(50_000)
            after = SendfileTests.openDescriptors(on: file)
        }
        #expect(server.server.total(.sendfileInstalls) >= 40)
        #expect(after == before, "every installed descriptor closed with its connection")
    }

    @Test func withSendfileOffBodiesGoByTheRingRead() throws {
        let site = try SiteFixture()
        let body = SiteFixture.pattern(1 << 20, seed: 2)
        try site.write("m.bin", body)
        let server = try SendfileTests.server(site) { $0.fileSendfile = false }
        let c = try server.client()
        let r = try c.get("/m.bin")
        #expect(r.body.count == body.count && SendfileTests.checksum(r.body) == SendfileTests.checksum(body))
        #expect(server.server.total(.sendfilePieces) == 0 && server.server.total(.sendfileInstalls) == 0)
    }
}
