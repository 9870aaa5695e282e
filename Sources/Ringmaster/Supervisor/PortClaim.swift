// Who owns a listening address. SO_REUSEPORT lets every socket of one user join a port's
// group, so a second ringmaster on the same port would silently take a share of the traffic.
// Before binding, the supervisor therefore (1) binds an abstract unix socket named after the
// address, which the kernel grants to one socket at a time, atomically, and frees when the
// process dies however it dies (no stale lock file, nothing on disk, and scoped to the network
// namespace exactly like the port); then (2) binds a probe TCP socket *without* SO_REUSEPORT,
// which fails with EADDRINUSE while anything at all listens there (nginx, an old ringmaster
// without this claim). Two ringmasters started at the same instant cannot both pass (1); a
// foreign process is caught by (2), or by the real bind that follows. Sharing is explicit:
// `listen.shared` skips both, and `--takeover` skips them at start and claims the name once
// the previous owner has exited.
import Dispatch
import Glibc

/// The claim on one host:port, held for the life of the server.
public final class PortClaim: @unchecked Sendable {
    /// The abstract socket holding the name; -1 while a takeover waits for it.
    private var fd: Int32 = -1
    private var retry: DispatchSourceTimer?
    let host: String
    let port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    deinit { release() }

    /// The abstract socket name for host:port ("\0ringmaster/listen/127.0.0.1:8080").
    var name: String { "ringmaster/listen/\(host):\(port)" }

    /// Whether this process holds the name now.
    public var held: Bool { fd >= 0 }

    /// Claims host:port for this process, or throws naming the port and the holder.
    static func exclusive(host: String, port: Int) throws(SetupError) -> PortClaim {
        let claim = PortClaim(host: host, port: port)
        guard claim.tryBind() else {
            throw SetupError("cannot listen on \(host):\(port): another ringmaster holds the port (EADDRINUSE); "
                             + "start with --takeover to replace it without downtime, or set listen.shared to share it")
        }
        if let busy = probe(host: host, port: port) {
            claim.release()
            throw SetupError("cannot listen on \(host):\(port): the port is in use by another process (\(Errno.describe(busy))); "
                             + "set listen.shared to true to share it through SO_REUSEPORT")
        }
        return claim
    }

    /// For `--takeover`: shares the port now and takes the name as soon as the previous owner
    /// lets it go (checked every 100 ms), so a later plain start is refused again.
    static func takeover(host: String, port: Int, onClaimed: @escaping @Sendable () -> Void) -> PortClaim {
        let claim = PortClaim(host: host, port: port)
        if claim.tryBind() { onClaimed(); return claim }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global())
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
        timer.setEventHandler { [weak claim] in
            guard let claim, claim.tryBind() else { return }
            claim.retry?.cancel()
            onClaimed()
        }
        claim.retry = timer
        timer.resume()
        return claim
    }

    /// Binds the abstract name; true when this socket now holds it.
    private func tryBind() -> Bool {
        guard fd < 0 else { return true }
        let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8.prefix(MemoryLayout.size(ofValue: address.sun_path) - 1))
        // Abstract namespace: the path starts with a NUL byte and is not a file.
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw[0] = 0
            for (i, byte) in bytes.enumerated() { raw[i + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) } }
        guard bound == 0 else {
            close(socketFD)
            return false
        }
        fd = socketFD
        return true
    }

    /// Lets the name go (a stopped embedded server; process exit does it anyway).
    func release() {
        retry?.cancel()
        retry = nil
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Binds host:port without SO_REUSEPORT and closes it again; returns the errno when the
    /// port is taken (EADDRINUSE), nil when free. SO_REUSEADDR keeps TIME_WAIT from counting.
    static func probe(host: String, port: Int) -> Int32? {
        guard let address = SocketAddress(host: host, port: port) else { return nil }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        return address.bind(fd) == 0 ? nil : errno
    }
}
