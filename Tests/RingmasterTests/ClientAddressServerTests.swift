// The client's address over real sockets: the access log's host field and JSON fields, a
// handler's `request.client` (IPv4 and IPv6 listeners), more simultaneous connections than
// pending accepts, and the PROXY protocol on a listener that expects it: v1 and v2 headers
// (whole, split byte by byte, followed by pipelined requests in the same packet), LOCAL keeping
// the peer's address, and a connection without a header refused with nothing written back.
import Foundation
import Glibc
import Testing
@testable import Ringmaster
import RingmasterHTTP

@Suite(.serialized) struct ClientAddressServerTests {
    /// A server whose handler answers `/who` with `request.client` as "address port".
    func server(host: String = "127.0.0.1", proxyProtocol: Bool = false, accessLog: String? = nil,
                format: AccessLogFormat = .common) throws -> TestServer {
        var router = Router()
        router.get("/who") { request, response in
            response.write("\(request.client.text) \(request.client.port)")
        }
        var c = TestServer.configuration()
        c.host = host
        c.proxyProtocol = proxyProtocol
        c.accessLogPath = accessLog
        c.accessLogFormat = format
        return try TestServer(c, router: router)
    }

    /// The client socket's own port (what the server should see as the peer's).
    func localPort(_ fd: Int32) -> Int {
        var address = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin6_port))
    }

    func logPath() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rm-client-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path + "/access.log"
    }

    func waitForLines(_ path: String, count: Int) -> [String] {
        let deadline = Date().addingTimeInterval(3)
        var lines: [String] = []
        repeat {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").map(String.init)
            if lines.count >= count { break }
            usleep(20_000)
        } while Date() < deadline
        return lines
    }

    @Test func handlersAndTheAccessLogSeeThePeer() throws {
        let path = try logPath()
        let server = try server(accessLog: path, format: .json)
        var ports: [Int] = []
        for _ in 0..<3 {
            let client = try server.client()
            let port = localPort(client.fd)
            ports.append(port)
            #expect(try client.get("/who").bodyText == "127.0.0.1 \(port)")
        }
        let lines = waitForLines(path, count: 3)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(objects.map { $0["remote_addr"] as? String } == ["127.0.0.1", "127.0.0.1", "127.0.0.1"])
        #expect(objects.map { $0["remote_port"] as? Int } == ports)
    }

    @Test func anIPv6ListenerReportsIPv6Clients() throws {
        let server = try server(host: "::1")
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = UInt16(server.port).bigEndian
        address.sin6_addr = in6addr_loopback
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        #expect(connected == 0)
        let request = Array("GET /who HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
        #expect(send(fd, request, request.count, 0) == request.count)
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            reply += chunk[0..<n]
        }
        let text = String(decoding: reply, as: UTF8.self)
        #expect(text.hasSuffix("\r\n\r\n::1 \(localPort(fd))"), "\(text)")
    }

    /// More clients connect at once than the worker keeps accepts pending: each is served,
    /// and each sees its own port.
    @Test func aBurstLargerThanThePendingAcceptsIsServed() throws {
        let server = try server()
        let count = 3 * Acceptor.pending
        let clients = try (0..<count).map { _ in try server.client() }
        for client in clients { try client.send("GET /who HTTP/1.1\r\nHost: x\r\n\r\n") }
        for client in clients {
            #expect(try client.readResponse().bodyText == "127.0.0.1 \(localPort(client.fd))")
        }
        #expect(server.server.total(.accepted) == UInt64(count))
    }

    // MARK: PROXY protocol

    @Test func aVersion1HeaderNamesTheClient() throws {
        let path = try logPath()
        let server = try server(proxyProtocol: true, accessLog: path)
        let client = try server.client()
        // The header and two pipelined requests in one packet.
        try client.send("PROXY TCP4 203.0.113.9 127.0.0.1 51000 80\r\nGET /who HTTP/1.1\r\nHost: x\r\n\r\nGET /who HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().bodyText == "203.0.113.9 51000")
        #expect(try client.readResponse().bodyText == "203.0.113.9 51000")
        let lines = waitForLines(path, count: 2)
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("203.0.113.9 - - [") }, "\(lines)")
        #expect(server.server.total(.proxyHeaders) == 1)
    }

    @Test func aVersion2HeaderSplitByteByByteNamesTheClient() throws {
        let server = try server(proxyProtocol: true)
        let client = try server.client()
        let source6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [7]
        let body = source6 + [UInt8](repeating: 0, count: 15) + [1] + [0x30, 0x39, 0x00, 0x50]
        let header = ProxyHeader.v2Signature + [0x21, 0x21, 0x00, UInt8(body.count)] + body
        for byte in header {
            try client.send([byte])
            usleep(2_000)
        }
        try client.send("GET /who HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().bodyText == "2001:db8::7 12345")
    }

    /// LOCAL (a balancer's health check) and UNKNOWN keep the connection's own address.
    @Test func localAndUnknownKeepThePeer() throws {
        let server = try server(proxyProtocol: true)
        let local = try server.client()
        try local.send(ProxyHeader.v2Signature + [0x20, 0x00, 0x00, 0x00] + Array("GET /who HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(try local.readResponse().bodyText == "127.0.0.1 \(localPort(local.fd))")
        let unknown = try server.client()
        try unknown.send("PROXY UNKNOWN\r\nGET /who HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try unknown.readResponse().bodyText == "127.0.0.1 \(localPort(unknown.fd))")
    }

    /// A listener that expects the header refuses a connection without one: closed, nothing
    /// written back, counted; the next connection with a header is served.
    @Test func aConnectionWithoutTheHeaderIsRefused() throws {
        let server = try server(proxyProtocol: true)
        for opening in ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "PROXY TCP4 999.1.1.1 5.6.7.8 1 2\r\n"] {
            let client = try server.client()
            try client.send(opening)
            #expect(client.drainUntilClosed() == 0, "nothing is answered to \(opening.debugDescription)")
        }
        #expect(server.server.total(.proxyHeaderErrors) == 3)
        let good = try server.client()
        try good.send("PROXY TCP4 192.0.2.1 127.0.0.1 1000 80\r\nGET /who HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try good.readResponse().bodyText == "192.0.2.1 1000")
    }

    @Test func theKeyIsOffByDefaultAndChecked() throws {
        #expect(ServerConfiguration().proxyProtocol == false)
        let on = try ConfigurationLoader.load(ConfigurationSources(environment: ["RINGMASTER_LISTEN_PROXY_PROTOCOL": "true"]))
        #expect(on.configuration.proxyProtocol)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(ConfigurationSources(overrides: [.init(key: "listen.proxy_protocol", value: "v2", flag: "--set")]))
        }
    }
}
