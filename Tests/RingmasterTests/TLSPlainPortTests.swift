// The plain-HTTP port beside a TLS listener (tls.plain_port, docs/tls.md): by default every
// request is redirected to the same host and target over https (301 for GET and HEAD, 308 for
// other methods), a body is read and dropped so the connection stays usable, and a request
// with no host to name gets 400; with tls.plain "serve" the port serves the routes. The TLS
// port is unchanged either way, and the keys are checked.
import Foundation
import Glibc
import Testing
@testable import Ringmaster

@Suite(.serialized) struct TLSPlainPortTests {
    static func server(_ answer: TLSPlainAnswer) throws -> TestServer {
        try TLSClient.server {
            $0.tls.plainPort = 0
            $0.tls.plainAnswer = answer
        }
    }

    @Test func everyRequestIsRedirectedToHTTPSOnTheSameConnection() throws {
        let server = try Self.server(.redirect)
        let plain = try #require(server.server.plainPort)
        #expect(plain != server.port)
        let client = try TestClient(port: plain)
        try client.send("GET /docs/a.html?q=1 HTTP/1.1\r\nHost: example.test:\(plain)\r\n\r\n")
        let get = try client.readResponse()
        #expect(get.status == 301)
        #expect(get.header("Location") == "https://example.test:\(server.port)/docs/a.html?q=1")
        #expect(get.header("Content-Length") == "0" && get.body.isEmpty)
        try client.send("HEAD / HTTP/1.1\r\nHost: [::1]:\(plain)\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.status == 301 && head.header("Location") == "https://[::1]:\(server.port)/")
        // A POST keeps its method and body at the new address: 308. Its body is read and
        // dropped, so the next request on the connection parses.
        try client.send("POST /form HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\nhello")
        let post = try client.readResponse()
        #expect(post.status == 308 && post.header("Location") == "https://example.test:\(server.port)/form")
        try client.send("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
        #expect(try client.readResponse().status == 301)
        // An absolute-form target keeps its path; its authority is not trusted (Host is).
        try client.send("GET http://elsewhere.example/x?y=1 HTTP/1.1\r\nHost: example.test\r\n\r\n")
        #expect(try client.readResponse().header("Location") == "https://example.test:\(server.port)/x?y=1")
        // The TLS port still speaks TLS, and serves the route.
        let tls = try TLSClient.run("basic", port: server.port)
        #expect(tls["status"] as? Int == 200, "\(tls)")
        #expect(server.server.total(.tlsFailuresPlaintext) == 0)
    }

    @Test func aBodyHeldBackClosesAndNoHostIs400() throws {
        let server = try Self.server(.redirect)
        let plain = try #require(server.server.plainPort)
        let held = try TestClient(port: plain)
        try held.send("PUT /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
        let put = try held.readResponse()
        #expect(put.status == 308 && put.header("Connection") == "close")
        let old = try TestClient(port: plain)
        try old.send("GET / HTTP/1.0\r\n\r\n")
        #expect(try old.readResponse().status == 400)
        // A Host that is not a host name cannot choose the Location's path.
        let odd = try TestClient(port: plain)
        try odd.send("GET /x HTTP/1.1\r\nHost: evil.example/y?\r\n\r\n")
        #expect(try odd.readResponse().status == 400)
    }

    @Test func servePlainServesTheRoutes() throws {
        let server = try Self.server(.serve)
        let plain = try #require(server.server.plainPort)
        let client = try TestClient(port: plain)
        #expect(try client.get("/plaintext").bodyText == "Hello, World!")
        #expect(try TLSClient.run("basic", port: server.port)["status"] as? Int == 200)
    }

    @Test func thePlainPortNeedsATLSListenerAndAnotherPort() throws {
        let dir = TLSClient.certificates
        func load(_ text: String) -> ConfigurationError? {
            do {
                _ = try ConfigurationLoader.parse(Array(text.utf8), source: "test.json")
                return nil
            } catch { return error }
        }
        let alone = load(#"{"tls": {"plain_port": 8080}}"#)
        #expect(alone?.key == "tls.plain_port" && alone?.description.contains("tls.certificate") == true, "\(String(describing: alone))")
        let same = load(#"{"listen": {"port": 8443}, "tls": {"certificate": "\#(dir)/localhost.pem", "key": "\#(dir)/localhost.key", "plain_port": 8443}}"#)
        #expect(same?.key == "tls.plain_port", "\(String(describing: same))")
        let range = load(#"{"tls": {"plain_port": 70000}}"#)
        #expect(range?.key == "tls.plain_port", "\(String(describing: range))")
        let answer = load(#"{"tls": {"certificate": "\#(dir)/localhost.pem", "key": "\#(dir)/localhost.key", "plain_port": 8080, "plain": "proxy"}}"#)
        #expect(answer?.key == "tls.plain" && answer?.description.contains("\"redirect\" or \"serve\"") == true, "\(String(describing: answer))")
        #expect(load(#"{"tls": {"certificate": "\#(dir)/localhost.pem", "key": "\#(dir)/localhost.key", "plain_port": 8081}}"#) == nil)
    }
}
