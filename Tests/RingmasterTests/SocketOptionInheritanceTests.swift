// Linux copies TCP_NODELAY from a listening socket to the sockets accept creates (the child
// is cloned from the listener, nonagle included), which is why Listener.open sets it once
// and accepted connections get no per-connection setsockopt (issue 15, item 2). If a kernel
// stopped doing this, these tests say so before latency does.
import Glibc
import Testing
@testable import Ringmaster

/// Connects to `listener` over loopback, accepts, and returns TCP_NODELAY of the accepted
/// socket as getsockopt reports it.
func acceptedNoDelay(listener: Int32) throws -> Int32 {
    let port = Listener.boundPort(of: listener)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(client) }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    try #require(connected == 0)
    let accepted = accept(listener, nil, nil)
    try #require(accepted >= 0)
    defer { close(accepted) }
    var value: Int32 = -1
    var length = socklen_t(4)
    try #require(getsockopt(accepted, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0)
    return value
}

@Suite struct SocketOptionInheritanceTests {
    @Test func acceptedSocketsInheritTCPNoDelayFromTheListener() throws {
        let listener = try Listener.open(host: "127.0.0.1", port: 0, backlog: 8, noDelay: true)
        defer { close(listener) }
        #expect(try acceptedNoDelay(listener: listener) != 0)
    }

    @Test func withNoDelayOffAcceptedSocketsKeepNagle() throws {
        let listener = try Listener.open(host: "127.0.0.1", port: 0, backlog: 8, noDelay: false)
        defer { close(listener) }
        #expect(try acceptedNoDelay(listener: listener) == 0, "tcp.nodelay = false must reach the connections too")
    }
}
