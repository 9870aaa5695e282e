// Async handlers that write their response body as they go (AsyncResponse.stream,
// ResponseBodyWriter, Worker+ResponseWriter): 100 MB to a client that reads nothing for a
// second gets the writer no further ahead than the socket buffers and one stream buffer, then
// arrives whole (until the close, for a Connection: close request); a chunked body keeps the
// connection with a pipelined request behind it; a slow writer is not cut off; a client that
// leaves fails the writer's next write; a writer that throws cuts the connection before the
// last chunk; HEAD gets the head alone.
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct StreamingResponseTests {
    /// Bytes the /pattern writer got written, and writes that threw, over the suite.
    static let written = Atomic<Int>(0)
    static let failedWrites = Atomic<Int>(0)
    /// What /twice's second, concurrent write did: 1 when it was refused with StreamMisuse.
    static let misuse = Atomic<Int>(0)

    static func router() -> Router {
        var router = Router()
        // `n` pattern bytes (i % 251), 64 KiB per write.
        router.get("/pattern") { request in
            let n = request.query?.split(separator: "=").last.flatMap { Int($0) } ?? 0
            return .stream(contentType: "application/octet-stream") { writer in
                var offset = 0
                do {
                    while offset < n {
                        let count = min(65536, n - offset)
                        try await writer.write(Array(PatternUpload.block[(offset % 251)..<(offset % 251 + count)]))
                        offset += count
                        StreamingResponseTests.written.add(count, ordering: .relaxed)
                    }
                } catch {
                    StreamingResponseTests.failedWrites.add(1, ordering: .relaxed)
                    throw error
                }
            }
        }
        // Three lines 150 ms apart.
        router.get("/slow") { _ in
            .stream(contentType: "text/plain") { writer in
                for i in 0..<3 {
                    try await Task.sleep(for: .milliseconds(150))
                    try await writer.write("line \(i)\n")
                }
            }
        }
        // A 16 MB write (more than the socket buffers take), and a second one started while
        // the first waits for room.
        router.get("/twice") { _ in
            .stream { writer in
                async let first: Void = writer.write([UInt8](repeating: 0x61, count: 16 << 20))
                try await Task.sleep(for: .milliseconds(100))
                do {
                    try await writer.write("x")
                    StreamingResponseTests.misuse.store(-1, ordering: .relaxed)
                } catch StreamMisuse.concurrentWrite {
                    StreamingResponseTests.misuse.store(1, ordering: .relaxed)
                }
                try await first
            }
        }
        // Writes nothing.
        router.get("/empty") { _ in .stream { _ in } }
        // Writes a little, then fails.
        router.get("/broken") { _ in
            .stream { writer in
                try await writer.write("partial")
                struct Broken: Error {}
                throw Broken()
            }
        }
        return router
    }

    func server() throws -> TestServer {
        var c = TestServer.configuration()
        c.configuredRoutes = []
        return try TestServer(c, router: StreamingResponseTests.router())
    }

    @Test func aClientThatReadsLaterHoldsTheWriterBack() throws {
        let server = try server()
        let client = try server.client(receiveBuffer: 65536)
        let size = 100 << 20
        let before = StreamingResponseTests.written.load(ordering: .relaxed)
        try client.send("GET /pattern?n=\(size) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        usleep(1_000_000)
        let ahead = StreamingResponseTests.written.load(ordering: .relaxed) - before
        #expect(ahead < 48 << 20, "the writer got \(ahead) bytes ahead of a client that read nothing")
        let all = client.readAll()
        guard let headEnd = all.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else {
            Issue.record("no head in \(all.count) bytes")
            return
        }
        let head = String(decoding: all[0..<headEnd], as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 200") && head.contains("Connection: close") && !head.lowercased().contains("content-length"))
        #expect(!head.lowercased().contains("transfer-encoding"), "the last answer runs until the close")
        #expect(all.count - headEnd == size, "the whole body, then the close")
        let intact = all.withUnsafeBytes { bytes in
            PatternUpload.block.withUnsafeBytes { pattern in
                var offset = 0
                while offset < size {
                    let count = min(65536, size - offset)
                    if memcmp(bytes.baseAddress! + headEnd + offset, pattern.baseAddress! + offset % 251, count) != 0 { return false }
                    offset += count
                }
                return true
            }
        }
        #expect(intact, "every byte in order")
    }

    @Test func aChunkedBodyKeepsTheConnectionWithAPipelinedRequestBehindIt() throws {
        let server = try server()
        let client = try server.client()
        try client.send("GET /pattern?n=3000000 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.status == 200 && first.header("Transfer-Encoding") == "chunked")
        #expect(first.body.count == 3_000_000 && first.body == Array((0..<3_000_000).map { UInt8($0 % 251) }))
        let second = try client.readResponse()
        #expect(second.bodyText == "line 0\nline 1\nline 2\n", "a slow writer is not cut off, and answers stay in order")
        let head = try server.client()
        try head.send("HEAD /pattern?n=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = try head.readResponse(head: true)
        #expect(answer.status == 200 && answer.body.isEmpty && answer.header("Transfer-Encoding") == "chunked")
        #expect(try head.get("/slow").bodyText.hasPrefix("line 0"), "the connection serves on after HEAD")
    }

    @Test func aClientThatLeavesFailsTheNextWrite() throws {
        let server = try server()
        let before = StreamingResponseTests.failedWrites.load(ordering: .relaxed)
        let client = try server.client(receiveBuffer: 65536)
        try client.send("GET /pattern?n=500000000 HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(200_000)
        client.abort()
        for _ in 0..<300 where StreamingResponseTests.failedWrites.load(ordering: .relaxed) == before { usleep(10_000) }
        #expect(StreamingResponseTests.failedWrites.load(ordering: .relaxed) == before + 1)
        usleep(100_000)
        #expect(server.server.total(.active) == 0)
    }

    @Test func aWriterThatThrowsCutsTheConnectionBeforeTheLastChunk() throws {
        let server = try server()
        let client = try server.client()
        try client.send("GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        let all = client.readAll()
        let text = String(decoding: all, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200") && text.contains("partial"))
        #expect(!text.hasSuffix("0\r\n\r\n"), "never presented as complete")
    }

    @Test func routerTesterCollectsAStreamedBody() throws {
        let app = RouterTester(StreamingResponseTests.router())
        #expect(try app.request(.get, "/pattern?n=200000").body == (0..<200_000).map { UInt8($0 % 251) })
        #expect(try app.request(.get, "/slow").bodyText == "line 0\nline 1\nline 2\n")
        #expect(throws: RouterTesterError.bodyBroken) { try app.request(.get, "/broken") }
    }

    /// An HTTP/1.0 client never gets chunked, even with keep-alive: the body runs until the
    /// close. And a writer that ends without writing (before its head was even out) ends the
    /// response at once (review findings).
    @Test func http10GetsTheBodyUntilTheCloseAndAnEmptyStreamEnds() throws {
        let server = try server()
        let old = try server.client()
        try old.send("GET /slow HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let all = String(decoding: old.readAll(), as: UTF8.self)
        #expect(all.hasPrefix("HTTP/1.1 200") && all.contains("Connection: close") && !all.lowercased().contains("transfer-encoding"))
        #expect(all.hasSuffix("\r\n\r\nline 0\nline 1\nline 2\n"))
        let started = Date()
        let empty = try server.client()
        try empty.send("GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let bytes = String(decoding: empty.readAll(), as: UTF8.self)
        #expect(bytes.hasPrefix("HTTP/1.1 200") && bytes.hasSuffix("\r\n\r\n"), "the head, then the close")
        #expect(Date().timeIntervalSince(started) < 2, "not held until the write timeout")
        let kept = try server.client()
        try kept.send("GET /empty HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = try kept.readResponse()
        #expect(answer.status == 200 && answer.body.isEmpty && answer.header("Transfer-Encoding") == "chunked")
    }

    /// A second write while the first waits is refused, and the first completes intact.
    @Test func aConcurrentWriteIsRefusedAndTheFirstCompletes() throws {
        let server = try server()
        let client = try server.client(receiveBuffer: 65536)
        StreamingResponseTests.misuse.store(0, ordering: .relaxed)
        try client.send("GET /twice HTTP/1.1\r\nHost: x\r\n\r\n")
        usleep(300_000)
        let response = try client.readResponse()
        #expect(response.status == 200 && response.body.count == 16 << 20, "the first write whole, and nothing of the second")
        #expect(StreamingResponseTests.misuse.load(ordering: .relaxed) == 1, "the second write threw StreamMisuse.concurrentWrite")
    }
}
