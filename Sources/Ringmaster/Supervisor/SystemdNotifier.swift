// The sd_notify datagram protocol, written directly (no libsystemd): when systemd runs the
// service with Type=notify it sets NOTIFY_SOCKET to a unix datagram socket ("@name" for the
// abstract namespace) and waits for "READY=1"; "STOPPING=1" tells it a drain has begun.
import CURing
import Glibc

/// Sends state lines to the service manager, when there is one.
public enum SystemdNotifier {
    /// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET; returns false when unset or failed.
    @discardableResult
    public static func notify(_ state: String) -> Bool {
        guard let pathPointer = getenv("NOTIFY_SOCKET") else { return false }
        var path = Array(String(cString: pathPointer).utf8)
        guard !path.isEmpty else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        // "@" marks the abstract namespace: the name starts with a NUL byte.
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sockaddr, length) }
            }
        }
        return sent == bytes.count
    }
}
