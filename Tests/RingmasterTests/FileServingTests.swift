// Directory routes over real sockets: index files, MIME types, redirects, HEAD, paths that try
// to leave the root, conditional requests and byte ranges.
import Foundation
import Testing
@testable import Ringmaster

@Suite(.serialized) struct FileServingTests {
    @Test func indexTypesRedirectAndHead() throws {
        let site = try SiteFixture()
        let server = try site.server()
        let c = try server.client()
        let home = try c.get("/")
        #expect(home.status == 200)
        #expect(home.bodyText == "<h1>home</h1>\n")
        #expect(home.header("Content-Type") == "text/html; charset=utf-8")
        #expect(home.header("ETag")?.hasPrefix("\"") == true)
        #expect(home.header("Last-Modified")?.hasSuffix(" GMT") == true)
        #expect(home.header("Accept-Ranges") == "bytes")
        #expect(try c.get("/style.css").header("Content-Type") == "text/css; charset=utf-8")
        #expect(try c.get("/data.json").header("Content-Type") == "application/json")
        #expect(try c.get("/notes.unknownext").header("Content-Type") == "application/octet-stream")
        let moved = try c.get("/sub?x=1")
        #expect(moved.status == 301)
        #expect(moved.header("Location") == "/sub/?x=1")
        #expect(try c.get("/sub/").bodyText == "<h1>sub</h1>\n")
        #expect(try c.get("/docs/").status == 404, "no index.html and no listing")
        #expect(try c.get("/missing.txt").status == 404)
        let head = try c.get("/1k.bin", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "1024")
        // No body followed the HEAD answer: the next response parses from the first byte.
        #expect(try c.get("/style.css").bodyText == "body { color: red }\n")
        let post = try c.get("/style.css", method: "DELETE")
        #expect(post.status == 405)
        #expect(post.header("Allow") == "GET, HEAD")
    }

    /// Pipelined file answers that do not fit the room left in the output wait in a chunk of
    /// their own instead of failing: every depth gets every response, in order.
    @Test func deepPipelinesOfFileRequestsAllGetAnswers() throws {
        let site = try SiteFixture()
        try site.write("small.txt", "0123456789")
        let server = try site.server()
        // Every depth from 40 to 90 moves the room left for the last answer through every
        // value a file head can need; a mixed batch (404s between) shifts it again.
        for (depth, mixed) in (40...90).map({ ($0, false) }) + [(60, true), (128, true)] {
            let c = try server.client()
            var batch = ""
            for i in 0..<depth { batch += mixed && i % 7 == 6 ? "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n" : "GET /small.txt HTTP/1.1\r\nHost: a\r\n\r\n" }
            try c.send(batch)
            for i in 0..<depth {
                let missing = mixed && i % 7 == 6
                let r = try c.readResponse()
                #expect(r.status == (missing ? 404 : 200), "depth \(depth), response \(i)")
                if !missing { #expect(r.bodyText == "0123456789") }
            }
        }
        #expect(server.server.total(.protocolOverflows) == 0)
    }

    @Test func anIndexThatIsADirectoryIs404NotARedirectLoop() throws {
        let site = try SiteFixture()
        try FileManager.default.createDirectory(atPath: site.root + "/loop/index.html", withIntermediateDirectories: true)
        let server = try site.server()
        #expect(try server.client().get("/loop/").status == 404)
    }

    @Test func pathsLeavingTheRootAreRefused() throws {
        let site = try SiteFixture()
        let server = try site.server()
        let refused = ["/../etc/passwd", "/%2e%2e/etc/passwd", "/sub/../../etc/passwd", "/.%2E/outside/secret.txt",
                       "/sub/%2F..%2F..%2Fetc/passwd", "/..%2f..%2fetc/passwd", "/%5c..%5cetc/passwd", "/a%00.txt"]
        for target in refused {
            let c = try server.client()
            let response = try c.get(target)
            #expect(response.status == 400, "\(target)")
            #expect(!response.bodyText.contains("root:") && !response.bodyText.contains("secret"))
        }
        let c = try server.client()
        #expect(try c.get("/passwd").status == 403, "a symlink to /etc/passwd leaves the root")
        #expect(try c.get("/escape").status == 403, "a relative symlink climbing out of the root")
        #expect(try c.get("/inside.txt").bodyText == "read me\n", "a symlink that stays inside is followed by default")
        #expect(try c.get("/sub/../style.css").status == 200, "dot segments inside the root resolve")
    }

    @Test func symlinksNeverRefusesEvenInsideLinks() throws {
        let site = try SiteFixture()
        let server = try site.server(DirectoryOptions(root: site.root, symlinks: .never))
        let c = try server.client()
        #expect(try c.get("/inside.txt").status == 403)
        #expect(try c.get("/docs/readme.txt").bodyText == "read me\n")
    }

    @Test func notModifiedForBothValidators() throws {
        let site = try SiteFixture()
        let server = try site.server()
        let c = try server.client()
        let full = try c.get("/style.css")
        let tag = try #require(full.header("ETag"))
        let modified = try #require(full.header("Last-Modified"))
        let byTag = try c.get("/style.css", ["If-None-Match: \(tag)"])
        #expect(byTag.status == 304)
        #expect(byTag.body.isEmpty)
        #expect(byTag.header("ETag") == tag)
        #expect(try c.get("/style.css", ["If-None-Match: \"other\", W/\(tag)"]).status == 304, "weak comparison")
        #expect(try c.get("/style.css", ["If-Modified-Since: \(modified)"]).status == 304)
        #expect(try c.get("/style.css", ["If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT"]).status == 200)
        let both = try c.get("/style.css", ["If-None-Match: \"stale\"", "If-Modified-Since: \(modified)"])
        #expect(both.status == 200, "If-None-Match decides when present (RFC 9110 §13.2.2)")
        #expect(both.bodyText == "body { color: red }\n")
    }

    @Test func singleRangesAnswer206Or416() throws {
        let site = try SiteFixture()
        let server = try site.server()
        let c = try server.client()
        let bytes = SiteFixture.pattern(1024)
        let part = try c.get("/1k.bin", ["Range: bytes=10-19"])
        #expect(part.status == 206)
        #expect(part.body == Array(bytes[10...19]))
        #expect(part.header("Content-Range") == "bytes 10-19/1024")
        let suffix = try c.get("/1k.bin", ["Range: bytes=-5"])
        #expect(suffix.body == Array(bytes[1019...]))
        let unsatisfiable = try c.get("/1k.bin", ["Range: bytes=5000-"])
        #expect(unsatisfiable.status == 416)
        #expect(unsatisfiable.header("Content-Range") == "bytes */1024")
        #expect(try c.get("/1k.bin", ["Range: bytes=0-1,5-6"]).status == 200, "several ranges get the whole file")
        let tag = try #require(part.header("ETag"))
        #expect(try c.get("/1k.bin", ["Range: bytes=0-3", "If-Range: \(tag)"]).status == 206)
        #expect(try c.get("/1k.bin", ["Range: bytes=0-3", "If-Range: \"old\""]).body == bytes, "a changed validator gets the whole file")
    }
}
