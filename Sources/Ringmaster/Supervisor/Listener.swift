// Listening sockets: one per worker, bound to the same address with SO_REUSEPORT so the
// kernel spreads connections over the workers without a shared accept queue.
import Glibc

/// Socket creation for the supervisor (cold path, plain system calls).
public enum Listener {
    /// Creates, binds and listens a TCP socket on host:port with SO_REUSEADDR (rebind right
    /// after a restart) and SO_REUSEPORT (one listener per worker), and TCP_NODELAY as
    /// `noDelay` says (the `tcp.nodelay` key).
    ///
    /// TCP_NODELAY is set here once instead of on every accepted connection: Linux copies it
    /// from the listener to each socket accept creates (the child is cloned from the
    /// listening socket, `tp->nonagle` included; SocketOptionInheritanceTests pins this), so
    /// a connection costs no setsockopt SQE for it (issue 15, item 2).
    public static func open(host: String, port: Int, backlog: Int, noDelay: Bool = true) throws(SetupError) -> Int32 {
        guard let address = SocketAddress(host: host, port: port) else {
            throw SetupError("listen.host: \"\(host)\" is not an \(host.contains(":") ? "IPv6" : "IPv4") address")
        }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .call("socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, 4)
        var nagleOff: Int32 = noDelay ? 1 : 0
        if setsockopt(fd, SocketLevel.tcp, TCP_NODELAY, &nagleOff, 4) != 0 {
            let e = errno
            close(fd)
            throw .call("setsockopt(TCP_NODELAY) on the listener", errno: e)
        }
        let bound = address.bind(fd)
        if bound != 0 {
            let e = errno
            close(fd)
            throw SetupError("cannot listen on \(host):\(port): bind failed: \(Errno.describe(e))\(e == EADDRINUSE ? " (another process holds the port)" : "")")
        }
        if listen(fd, Int32(backlog)) != 0 {
            let e = errno
            close(fd)
            throw .call("listen", errno: e)
        }
        return fd
    }

    /// `count` listeners on host:port (one per worker), the first resolving port 0 for the
    /// rest; on a failure the ones already open are closed.
    public static func openGroup(count: Int, host: String, port: Int, backlog: Int, noDelay: Bool) throws(SetupError) -> (fds: [Int32], port: Int) {
        var fds: [Int32] = []
        var bound = port
        do {
            for _ in 0..<count {
                let fd = try open(host: host, port: bound, backlog: backlog, noDelay: noDelay)
                fds.append(fd)
                if bound == 0 { bound = boundPort(of: fd) }
            }
        } catch {
            fds.forEach { close($0) }
            throw error
        }
        return (fds, bound)
    }

    /// The port a socket is bound to (for port 0).
    public static func boundPort(of fd: Int32) -> Int {
        var address = sockaddr_in6()   // large enough for either family; sin6_port and sin_port share an offset
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let r = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return r == 0 ? Int(UInt16(bigEndian: address.sin6_port)) : 0
    }
}
