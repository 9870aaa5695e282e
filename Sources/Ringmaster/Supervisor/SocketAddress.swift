// An IPv4 or IPv6 listening address, parsed once, shared by the listeners and the port
// claim's probe so both bind exactly the same address.
import Glibc

/// host:port as a sockaddr_in or sockaddr_in6.
struct SocketAddress {
    var v4 = sockaddr_in()
    var v6 = sockaddr_in6()
    let isV6: Bool

    /// nil when `host` is not an address of its family ("localhost" is 127.0.0.1).
    init?(host: String, port: Int) {
        isV6 = host.contains(":")
        if isV6 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = UInt16(port).bigEndian
            guard inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 else { return nil }
        } else {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = UInt16(port).bigEndian
            let text = host == "localhost" ? "127.0.0.1" : host
            guard inet_pton(AF_INET, text, &v4.sin_addr) == 1 else { return nil }
        }
    }

    var family: Int32 { isV6 ? AF_INET6 : AF_INET }

    /// bind(2) of `fd` to this address; 0 or -1 with errno set.
    func bind(_ fd: Int32) -> Int32 {
        var v4 = v4
        var v6 = v6
        return isV6
            ? withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
            : withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
}
