// Handler responses larger than the output chunk and files sent by handlers: both go out
// through body streams after their head, intact, in order with pipelined requests.
import Foundation
import Testing
@testable import Ringmaster

@Suite(.serialized) struct HandlerBodyTests {
    @Test func largeWrittenBodiesStreamIntactAndInOrder() throws {
        let big = SiteFixture.pattern(3 << 20, seed: 11)
        let server = try HandlerTests.server { router in
            router.get("/big") { _, response in
                response.contentType = "application/octet-stream"
                // Written in pieces, so the body spills and grows across writes.
                big.withUnsafeBytes { bytes in
                    var at = 0
                    while at < bytes.count {
                        let n = min(70_000, bytes.count - at)
                        response.write(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]))
                        at += n
                    }
                }
            }
            router.get("/edge") { _, response in response.write([UInt8](repeating: 66, count: 16_300)) }
            router.get("/small") { _, response in response.write("small") }
        }
        let c = try TestClient(port: server.port, receiveBuffer: 8192)
        try c.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\nGET /edge HTTP/1.1\r\nHost: a\r\n\r\nGET /small HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(200_000)
        let first = try c.readResponse()
        #expect(first.status == 200)
        #expect(first.body.count == big.count && FileStreamingTests.checksum(first.body) == FileStreamingTests.checksum(big))
        let edge = try c.readResponse()
        #expect(edge.body == [UInt8](repeating: 66, count: 16_300), "fits the scratch but not the chunk beside its head")
        #expect(try c.readResponse().bodyText == "small")
        let head = try c.get("/big", method: "HEAD")
        #expect(head.header("Content-Length") == "\(big.count)")
        #expect(try c.get("/small").bodyText == "small", "no body followed the HEAD answer")
    }

    @Test func noContentAndNotModifiedNeverCarryABody() throws {
        let site = try SiteFixture()
        let root = site.root
        let server = try HandlerTests.server { router in
            router.get("/nm") { _, response in
                response.status = .notModified
                response.write([UInt8](repeating: 65, count: 40_000))
            }
            router.get("/nc") { _, response in
                response.status = .noContent
                response.sendFile(root + "/1k.bin")
            }
            router.get("/ok") { _, response in response.write("ok") }
        }
        let c = try server.client()
        try c.send("GET /nm HTTP/1.1\r\nHost: a\r\n\r\nGET /nc HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(try c.readResponse().status == 304)
        #expect(try c.readResponse().status == 204)
        let ok = try c.readResponse()
        #expect(ok.status == 200 && ok.bodyText == "ok", "no stray body bytes before the third response")
    }

    @Test func sendFileStreamsTheFileWithValidators() throws {
        let site = try SiteFixture()
        let big = SiteFixture.pattern(1 << 20, seed: 5)
        try site.write("report.json", big)
        let root = site.root
        let server = try HandlerTests.server { router in
            router.get("/report") { _, response in response.sendFile(root + "/report.json") }
            router.get("/typed") { _, response in
                response.contentType = "text/csv"
                response.addHeader("Cache-Control", "no-store")
                response.sendFile(root + "/style.css")
            }
            router.get("/missing") { _, response in response.sendFile(root + "/nope") }
            router.get("/dir") { _, response in response.sendFile(root) }
        }
        let c = try server.client()
        try c.send("GET /report HTTP/1.1\r\nHost: a\r\n\r\nGET /typed HTTP/1.1\r\nHost: a\r\n\r\n")
        let report = try c.readResponse()
        #expect(report.status == 200)
        #expect(report.body.count == big.count && FileStreamingTests.checksum(report.body) == FileStreamingTests.checksum(big))
        #expect(report.header("Content-Type") == "application/json", "from the extension")
        #expect(report.header("ETag") != nil && report.header("Last-Modified") != nil)
        let typed = try c.readResponse()
        #expect(typed.bodyText == "body { color: red }\n")
        #expect(typed.header("Content-Type") == "text/csv")
        #expect(typed.header("Cache-Control") == "no-store")
        #expect(try c.get("/missing").status == 404)
        #expect(try c.get("/dir").status == 404)
        let head = try c.get("/report", method: "HEAD")
        #expect(head.header("Content-Length") == "\(big.count)")
        #expect(try c.get("/typed").status == 200)
        #expect(server.server.total(.fileStreams) == 3, "every GET of a file streams it; HEAD does not")
        // The request's validators and Range apply to a sent file as to a directory route's.
        let tag = try #require(report.header("ETag"))
        let notModified = try c.get("/report", ["If-None-Match: \(tag)"])
        #expect(notModified.status == 304 && notModified.body.isEmpty)
        let part = try c.get("/report", ["Range: bytes=10-19"])
        #expect(part.status == 206 && part.body == Array(big[10...19]))
        #expect(part.header("Content-Range") == "bytes 10-19/\(big.count)")
        #expect(try c.get("/typed").bodyText == "body { color: red }\n", "nothing stray after the 206")
    }
}
