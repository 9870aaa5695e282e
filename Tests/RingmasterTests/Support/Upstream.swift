// A Python upstream application (Support/upstream.py) for the proxy tests: on a free or given
// loopback port, or on a Unix socket; killed when the test ends.
import Foundation
import Glibc

/// A Python upstream, killed when the value goes away.
final class Upstream {
    let process = Process()
    /// The TCP port, or 0 for a Unix-socket upstream.
    let port: Int
    /// The socket path of a Unix-socket upstream, else nil.
    let path: String?

    /// Listens on 127.0.0.1:`port` (a free one when nil).
    init(name: String = "upstream", port: Int? = nil) throws {
        self.port = port ?? Upstream.freePort()
        path = nil
        try start(listen: "\(self.port)", name: name)
    }

    /// Listens on a Unix socket at `unixPath` (removed first if it exists).
    init(name: String = "upstream", unixPath: String) throws {
        port = 0
        path = unixPath
        unlink(unixPath)
        try start(listen: "unix:" + unixPath, name: name)
    }

    private func start(listen: String, name: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("upstream.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, listen, name]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // "ready" once it listens.
        _ = out.fileHandleForReading.readData(ofLength: 6)
    }

    /// SIGKILL and waitpid(2) directly: Foundation's waitUntilExit can wait forever for a
    /// child it did not see exit.
    deinit {
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if let path { unlink(path) }
    }

    /// A port nothing listens on now (bound, read back, closed).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                bind(fd, p, length)
                return getsockname(fd, p, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
