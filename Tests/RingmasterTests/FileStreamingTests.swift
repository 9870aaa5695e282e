// Bodies larger than the output chunk (streamed from the cache or read with IORING_OP_READ),
// cache revalidation, precompressed siblings, health checks while draining, and the
// configuration of directory routes.
import Foundation
import Testing
@testable import Ringmaster

@Suite(.serialized) struct FileStreamingTests {
    /// FNV-1a, enough to compare megabytes without holding two copies in an expectation.
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    @Test func largeFileStreamsIntactToASlowReaderThenPipelinedRequestsFollow() throws {
        let site = try SiteFixture()
        // 3 MiB: more than every stream buffer (64 KiB) and output chunk, and not cacheable.
        let big = SiteFixture.pattern(3 << 20, seed: 7)
        try site.write("big.bin", big)
        let server = try site.server { $0.fileCacheMaxFile = 64 << 10 }
        let c = try TestClient(port: server.port, receiveBuffer: 4096)
        try c.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\nGET /style.css HTTP/1.1\r\nHost: a\r\n\r\n")
        // Let the server hit backpressure: the socket buffers fill long before 3 MiB.
        usleep(300_000)
        let response = try c.readResponse()
        #expect(response.status == 200)
        #expect(response.body.count == big.count)
        #expect(FileStreamingTests.checksum(response.body) == FileStreamingTests.checksum(big))
        #expect(try c.readResponse().bodyText == "body { color: red }\n", "the pipelined request waited for the stream")
        let range = try c.get("/big.bin", ["Range: bytes=1000000-1999999"])
        #expect(range.status == 206)
        #expect(range.body.count == 1_000_000)
        #expect(FileStreamingTests.checksum(range.body) == FileStreamingTests.checksum(big[1_000_000...1_999_999]))
        #expect(server.server.total(.fileStreams) == 2)
        #expect(server.server.total(.fileErrors) == 0)
    }

    @Test func everyStreamBusyAnswers503ThenServesAgain() throws {
        let site = try SiteFixture()
        try site.write("big.bin", SiteFixture.pattern(3 << 20))
        let server = try site.server { $0.maxStreams = 1; $0.fileCacheMaxFile = 64 << 10 }
        // The only stream is held by a client that does not read.
        var stalled: TestClient? = try TestClient(port: server.port, receiveBuffer: 4096)
        try stalled!.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(200_000)
        let c = try server.client()
        let refused = try c.get("/big.bin")
        #expect(refused.status == 503 && refused.header("Retry-After") == "1")
        #expect(try c.get("/1k.bin").status == 200, "cached small files need no stream")
        #expect(server.server.total(.streamsExhausted) == 1)
        stalled!.reset()
        stalled = nil   // closed with SO_LINGER 0: a reset
        var again = try c.get("/big.bin")
        for _ in 0..<20 where again.status == 503 {
            usleep(100_000)
            again = try c.get("/big.bin")
        }
        #expect(again.status == 200 && again.body.count == 3 << 20, "the stream came back when its connection closed")
    }

    @Test func aFIFOInTheRootCannotBlockTheWorker() throws {
        let site = try SiteFixture()
        #expect(mkfifo(site.root + "/pipe", 0o644) == 0)
        let server = try site.server()
        let c = try server.client()
        #expect(try c.get("/pipe").status == 404, "opened O_NONBLOCK, refused after fstat")
        #expect(try c.get("/1k.bin").status == 200)
    }

    @Test func cachedBodiesLargerThanTheChunkAreSentFromTheCache() throws {
        let site = try SiteFixture()
        let medium = SiteFixture.pattern(200 << 10, seed: 3)
        try site.write("medium.bin", medium)
        let server = try site.server()
        let c = try server.client()
        for _ in 0..<3 {
            try c.send("GET /medium.bin HTTP/1.1\r\nHost: a\r\n\r\nGET /1k.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try c.readResponse()
            #expect(response.body.count == medium.count && FileStreamingTests.checksum(response.body) == FileStreamingTests.checksum(medium))
            #expect(try c.readResponse().body == SiteFixture.pattern(1024))
        }
        #expect(server.server.total(.fileCacheMisses) == 2, "each file opened once, then served from memory")
    }

    @Test func changedFilesAreSeenWithinASecond() throws {
        let site = try SiteFixture()
        try site.write("page.txt", "one\n")
        let server = try site.server()
        let c = try server.client()
        #expect(try c.get("/page.txt").bodyText == "one\n")
        try site.write("page.txt", "two, longer\n")
        usleep(1_100_000)
        #expect(try c.get("/page.txt").bodyText == "two, longer\n", "rewritten in place")
        // Replaced by rename, as deploy tools do: a new inode under the same name.
        try Data("three\n".utf8).write(to: URL(fileURLWithPath: site.base + "/tmp-page"))
        #expect(rename(site.base + "/tmp-page", site.root + "/page.txt") == 0)
        usleep(1_100_000)
        #expect(try c.get("/page.txt").bodyText == "three\n", "replaced by rename")
        unlink(site.root + "/page.txt")
        usleep(1_100_000)
        #expect(try c.get("/page.txt").status == 404, "deleted")
    }

    @Test func precompressedSiblingsFollowAcceptEncoding() throws {
        let site = try SiteFixture()
        let gzipped: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]
        try site.write("app.js", "console.log(1)\n")
        try site.write("app.js.gz", gzipped)
        let server = try site.server()
        let c = try server.client()
        let compressed = try c.get("/app.js", ["Accept-Encoding: gzip, deflate"])
        #expect(compressed.body == gzipped)
        #expect(compressed.header("Content-Encoding") == "gzip")
        #expect(compressed.header("Content-Type") == "text/javascript; charset=utf-8")
        #expect(compressed.header("Vary") == "Accept-Encoding")
        let plain = try c.get("/app.js")
        #expect(plain.bodyText == "console.log(1)\n")
        #expect(plain.header("Content-Encoding") == nil)
        #expect(plain.header("ETag") != compressed.header("ETag"), "two representations, two tags")
        #expect(try c.get("/app.js", ["Accept-Encoding: gzip;q=0, br"]).header("Content-Encoding") == nil)
        #expect(try c.get("/style.css", ["Accept-Encoding: gzip"]).bodyText == "body { color: red }\n", "no sibling: the file itself")
        let misses = server.server.total(.fileCacheMisses)
        #expect(try c.get("/style.css", ["Accept-Encoding: gzip"]).status == 200)
        #expect(server.server.total(.fileCacheMisses) == misses, "the missing sibling is cached too: no open per request")
        // A sibling that cannot be served (a link out of the root) leaves the plain file.
        try site.write("lib.js", "lib()\n")
        try FileManager.default.createSymbolicLink(atPath: site.root + "/lib.js.gz", withDestinationPath: "/etc/hostname")
        for _ in 0..<2 {
            let lib = try c.get("/lib.js", ["Accept-Encoding: gzip"])
            #expect(lib.status == 200 && lib.bodyText == "lib()\n" && lib.header("Content-Encoding") == nil)
        }
        let off = try site.server(DirectoryOptions(root: site.root, precompressed: false))
        #expect(try off.client().get("/app.js", ["Accept-Encoding: gzip"]).header("Content-Encoding") == nil)
    }

    @Test func routeHeadersRideWithFilesAndStaticBodies() throws {
        let site = try SiteFixture()
        var files = RouteConfiguration(path: "/", kind: "directory", body: "")
        files.directory = DirectoryOptions(root: site.root)
        files.headers = ["Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"]
        var page = RouteConfiguration(path: "/about", body: "about\n")
        page.headers = ["Cache-Control": "no-store"]
        var c = TestServer.configuration()
        c.configuredRoutes = [files, page]
        let server = try TestServer(c)
        let client = try server.client()
        for _ in 0..<2 {   // a miss, then a cache hit
            let r = try client.get("/style.css")
            #expect(r.header("Cache-Control") == "public, max-age=3600")
            #expect(r.header("X-Content-Type-Options") == "nosniff")
            #expect(r.header("ETag") != nil)
        }
        let notModified = try client.get("/style.css", ["If-None-Match: \(try #require(try client.get("/style.css").header("ETag")))"])
        #expect(notModified.status == 304 && notModified.header("Cache-Control") == "public, max-age=3600")
        #expect(try client.get("/about").header("Cache-Control") == "no-store")
    }

    @Test func healthAnswers503WhileDraining() throws {
        let site = try SiteFixture()
        let server = try site.server()
        let c = try server.client()
        #expect(try c.get("/healthz").bodyText == "ok\n")
        // A request in progress keeps the connection through the drain (idle ones close).
        try c.send("GET /healthz HTTP/1.1\r\n")
        usleep(100_000)
        server.server.stop()
        usleep(200_000)
        try c.send("Host: a\r\n\r\n")
        let draining = try c.readResponse()
        #expect(draining.status == 503)
        #expect(draining.header("Connection") == "close")
    }

    @Test func directoryRouteConfigurationErrorsNameTheKey() throws {
        let site = try SiteFixture()
        func load(_ route: String) -> ConfigurationError? {
            let path = site.base + "/c.json"
            try? Data("{\"routes\": [\(route)]}".utf8).write(to: URL(fileURLWithPath: path))
            do { _ = try ConfigurationLoader.load(path: path); return nil } catch { return error }
        }
        #expect(load("{\"path\": \"/\", \"kind\": \"directory\"}")?.key == "routes[0].root")
        #expect(load("{\"path\": \"/\", \"kind\": \"directory\", \"root\": \"\(site.root)/nope\"}")?.key == "routes[0].root")
        #expect(load("{\"path\": \"/\", \"kind\": \"directory\", \"root\": \"\(site.root)/style.css\"}")?.key == "routes[0].root")
        #expect(load("{\"path\": \"/\", \"kind\": \"directory\", \"root\": \"\(site.root)\", \"symlinks\": \"yes\"}")?.key == "routes[0].symlinks")
        #expect(load("{\"path\": \"/\", \"kind\": \"directory\", \"root\": \"\(site.root)\", \"index\": \"../x\"}")?.key == "routes[0].index")
        #expect(load("{\"path\": \"/\", \"kind\": \"directory\", \"root\": \"\(site.root)\", \"methods\": [\"POST\"]}")?.key == "routes[0].methods")
        #expect(load("{\"path\": \"/\", \"body\": \"x\", \"root\": \"/tmp\"}")?.key == "routes[0].root")
        #expect(load("{\"path\": \"/\", \"kind\": \"directory\", \"root\": \"\(site.root)\", \"precompressed\": false}") == nil)
        #expect(load("{\"path\": \"/\", \"body\": \"x\", \"headers\": {\"X-A\": \"1\\r\\nSet-Cookie: a=b\"}}")?.key == "routes[0].headers.X-A")
        #expect(load("{\"path\": \"/\", \"body\": \"x\", \"headers\": {\"Content-Length\": \"5\"}}")?.key == "routes[0].headers.Content-Length")
        #expect(load("{\"path\": \"/\", \"body\": \"x\", \"headers\": {\"Bad Name\": \"5\"}}")?.key == "routes[0].headers")
        #expect(load("{\"path\": \"/\", \"kind\": \"metrics\", \"headers\": {\"X-A\": \"1\"}}")?.key == "routes[0].headers")
    }
}
