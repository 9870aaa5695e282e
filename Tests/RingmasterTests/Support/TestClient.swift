// A blocking loopback HTTP/1.1 client for tests: raw sockets, so tests control exactly which
// bytes go out in which write, and read responses back with a receive timeout.
import Glibc

/// One parsed response.
struct TestResponse: Equatable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    static func == (a: TestResponse, b: TestResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.headers.map { "\($0.0):\($0.1)" } == b.headers.map { "\($0.0):\($0.1)" }
    }
}

enum TestClientError: Error { case connect(Int32), timeout, closed, malformed(String) }

/// A client connection to 127.0.0.1:port.
// Unchecked: a test uses one client from one thread at a time (ServiceLifecycleTests hands it to
// a Dispatch thread for a blocking read while its task waits).
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []
    private var aborted = false

    /// `maxSegment` (TCP_MAXSEG before connect) shrinks the server's segments to this client,
    /// and with them its send-buffer autotuning (tcp_sndbuf_expand sizes it in segments): with
    /// a small receive buffer, a response of a few hundred KB then stays in flight.
    init(port: Int, timeoutSeconds: Int = 10, receiveBuffer: Int32? = nil, maxSegment: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4) }
        if var size = maxSegment { setsockopt(fd, Int32(IPPROTO_TCP), TCP_MAXSEG, &size, 4) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let r = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if r != 0 { let e = errno; close(fd); throw TestClientError.connect(e) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
    }

    deinit { if !aborted { close(fd) } }

    /// Sends all of `bytes` in one write call (looping only on a short write).
    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw TestClientError.closed }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Closes the socket at once with RST (SO_LINGER 0), sending no FIN first.
    func abort() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close(fd)
        aborted = true
    }

    /// Closes with RST (SO_LINGER 0) instead of FIN.
    func reset() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
        if n < 0 { throw errno == EAGAIN ? TestClientError.timeout : TestClientError.closed }
        if n == 0 { throw TestClientError.closed }
        pending += chunk[0..<n]
    }

    /// Reads and discards until the server closes (EOF or reset); returns the bytes read, or
    /// nil when the connection is still open after the receive timeout.
    /// Everything the server sends until it closes (or the receive timeout).
    func readAll() -> [UInt8] {
        var all = pending
        pending.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
            guard n > 0 else { return all }
            all += chunk[0..<n]
        }
    }

    func drainUntilClosed() -> Int? {
        var total = pending.count
        pending.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
            if n > 0 { total += n; continue }
            if n == 0 || errno == ECONNRESET { return total }
            return nil
        }
    }

    /// True when the server closed the connection (EOF) with nothing more to read.
    /// Whether the server has sent something (or closed) that is not read yet, without waiting.
    func hasPendingInput() -> Bool {
        if !pending.isEmpty { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    func isClosedByServer() -> Bool {
        if !pending.isEmpty { return false }
        do { try fill(); return false } catch TestClientError.closed { return true } catch { return false }
    }

    /// Reads one response; `head` for a response to HEAD (no body).
    func readResponse(head: Bool = false) throws -> TestResponse {
        while true {
            if let end = findHeadEnd() {
                let headText = String(decoding: pending[0..<end], as: UTF8.self)
                var lines = headText.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClientError.malformed(headText) }
                let headers: [(String, String)] = lines.compactMap { line in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: " "))
                }
                let noBody = head || status == 304 || status == 204 || status / 100 == 1
                if !noBody, headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased() == "chunked" }) {
                    let body = try readChunkedBody(from: end + 4)
                    return TestResponse(status: status, headers: headers, body: body)
                }
                let length = noBody ? 0 : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
                while pending.count < end + 4 + length { try fill() }
                let body = Array(pending[(end + 4)..<(end + 4 + length)])
                pending.removeFirst(end + 4 + length)
                return TestResponse(status: status, headers: headers, body: body)
            }
            try fill()
        }
    }

    /// Decodes a chunked body starting at `start` of what was received (extensions and
    /// trailers skipped), consuming it.
    private func readChunkedBody(from start: Int) throws -> [UInt8] {
        var body: [UInt8] = []
        var at = start
        func line() throws -> String {
            while true {
                if let end = (at..<max(at, pending.count - 1)).first(where: { pending[$0] == 13 && pending[$0 + 1] == 10 }) {
                    let text = String(decoding: pending[at..<end], as: UTF8.self)
                    at = end + 2
                    return text
                }
                try fill()
            }
        }
        while true {
            let sizeLine = try line()
            guard let size = Int(sizeLine.split(separator: ";").first.map(String.init) ?? "", radix: 16) else {
                throw TestClientError.malformed(String(sizeLine.prefix(40)))
            }
            if size == 0 {
                while try !line().isEmpty {}
                pending.removeFirst(at)
                return body
            }
            while pending.count < at + size + 2 { try fill() }
            body += pending[at..<(at + size)]
            at += size + 2
        }
    }

    private func findHeadEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for i in 0...(pending.count - 4) where pending[i] == 13 && pending[i + 1] == 10 && pending[i + 2] == 13 && pending[i + 3] == 10 { return i }
        return nil
    }
}

extension String {
    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.range(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        let n = Array(needle.utf8)
        var i = startIndex
        while i < endIndex {
            if self[i...].utf8.starts(with: n) { return i..<self.utf8.index(i, offsetBy: n.count) }
            i = index(after: i)
        }
        return nil
    }

    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
