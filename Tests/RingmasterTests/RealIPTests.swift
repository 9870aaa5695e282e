// The client address from a trusted proxy's header (listen.real_ip_from, docs/client-address.md,
// "Behind a load balancer"): from a peer in the listed ranges, each request's client is the
// right-most address of X-Forwarded-For that is not itself trusted, for handlers and the access
// log; from anyone else the header is ignored; a malformed entry stops the walk; each request is
// resolved afresh from the connection's peer.
import Foundation
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct RealIPTests {
    func server(_ ranges: [String], header: String = "x-forwarded-for", accessLog: String? = nil) throws -> TestServer {
        var router = Router()
        router.get("/who") { request, response in response.write(request.client.text) }
        var c = TestServer.configuration()
        c.realIPFrom = ranges.map { AddressRange.parse($0)! }
        c.realIPHeader = header
        c.accessLogPath = accessLog
        return try TestServer(c, router: router)
    }

    func who(_ client: TestClient, _ headers: [String] = []) throws -> String {
        try client.get("/who", headers).bodyText
    }

    @Test func aTrustedPeersHeaderNamesTheClient() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-realip-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let log = dir.path + "/access.log"
        let server = try server(["127.0.0.0/8", "10.0.0.0/8"], accessLog: log)
        let client = try server.client()
        #expect(try who(client) == "127.0.0.1", "no header: the peer")
        #expect(try who(client, ["X-Forwarded-For: 203.0.113.7"]) == "203.0.113.7")
        // Right to left, trusted hops skipped, across several fields.
        #expect(try who(client, ["X-Forwarded-For: 198.51.100.1, 203.0.113.9", "X-Forwarded-For: 10.0.0.5, 10.1.2.3"]) == "203.0.113.9")
        #expect(try who(client, ["X-Forwarded-For: 2001:db8::7"]) == "2001:db8::7")
        #expect(try who(client, ["X-Forwarded-For: [2001:db8::8]:4431, 10.0.0.1"]) == "2001:db8::8")
        // Only trusted hops: the left-most of them.
        #expect(try who(client, ["X-Forwarded-For: 10.9.9.9, 10.0.0.1"]) == "10.9.9.9")
        // A malformed entry stops the walk at the last good address (here, the peer).
        #expect(try who(client, ["X-Forwarded-For: 203.0.113.1, not-an-address"]) == "127.0.0.1")
        // The same connection without the header: the peer again.
        #expect(try who(client) == "127.0.0.1")
        #expect(try who(client, ["X-Forwarded-For: 192.0.2.44"]) == "192.0.2.44")
        server.stop()
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.last?.hasPrefix("192.0.2.44 ") == true, "the access log names the client: \(lines.last ?? "")")
    }

    @Test func anUntrustedPeersHeaderIsIgnored() throws {
        let server = try server(["10.0.0.0/8"])
        #expect(try who(try server.client(), ["X-Forwarded-For: 203.0.113.7"]) == "127.0.0.1")
    }

    @Test func anotherHeaderCanNameTheClient() throws {
        let server = try server(["127.0.0.1/32"], header: "x-real-ip")
        let client = try server.client()
        #expect(try who(client, ["X-Real-IP: 203.0.113.8", "X-Forwarded-For: 198.51.100.1"]) == "203.0.113.8")
    }

    @Test func theKeysAreChecked() throws {
        func load(_ listen: String) -> ConfigurationError? {
            do {
                _ = try ConfigurationLoader.parse(Array("{\"listen\": {\(listen)}}".utf8), source: "test.json")
                return nil
            } catch { return error }
        }
        #expect(load(#""real_ip_from": "10.0.0.0/33""#)?.key == "listen.real_ip_from")
        #expect(load(#""real_ip_from": "10.0.0.0/8,nope""#)?.key == "listen.real_ip_from")
        #expect(load(#""real_ip_header": "x forwarded""#)?.key == "listen.real_ip_header")
        #expect(load(#""real_ip_from": "10.0.0.0/8, 2001:db8::/32", "real_ip_header": "X-Real-IP""#) == nil)
    }
}
