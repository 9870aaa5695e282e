// A throw-away site for the file-serving tests: a root directory with known files, a sibling
// directory outside the root (the target of escaping symlinks), and a server with a
// directory route on the root.
import Foundation
@testable import Ringmaster

final class SiteFixture {
    let base: String
    var root: String { base + "/www" }
    var outside: String { base + "/outside" }

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("rm-site-\(UUID().uuidString.prefix(8))").path
        for dir in [root, root + "/sub", root + "/docs", outside] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try write("index.html", "<h1>home</h1>\n")
        try write("sub/index.html", "<h1>sub</h1>\n")
        try write("style.css", "body { color: red }\n")
        try write("data.json", "{\"a\":1}\n")
        try write("notes.unknownext", "?")
        try write("docs/readme.txt", "read me\n")
        try write("1k.bin", SiteFixture.pattern(1024))
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: root + "/passwd", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: "../outside/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/inside.txt", withDestinationPath: "docs/readme.txt")
    }

    deinit { try? FileManager.default.removeItem(atPath: base) }

    /// Deterministic bytes that differ at every offset modulo 251, so a misplaced slice shows.
    static func pattern(_ count: Int, seed: Int = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 &+ seed) % 251) }
    }

    func write(_ path: String, _ text: String) throws { try write(path, Array(text.utf8)) }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path))
    }

    /// A test server whose `/` is this root, plus any other configuration changes.
    func server(_ options: DirectoryOptions? = nil, _ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        var c = TestServer.configuration()
        var route = RouteConfiguration(path: "/", kind: "directory", body: "")
        route.directory = options ?? DirectoryOptions(root: root)
        c.configuredRoutes = [route, RouteConfiguration(path: "/healthz", kind: "health", body: "ok\n")]
        adjust(&c)
        return try TestServer(c)
    }
}

extension TestClient {
    /// Sends a GET (or another method) with extra header lines and reads the response.
    func get(_ target: String, _ headers: [String] = [], method: String = "GET") throws -> TestResponse {
        try send("\(method) \(target) HTTP/1.1\r\nHost: a\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
        return try readResponse(head: method == "HEAD")
    }
}
