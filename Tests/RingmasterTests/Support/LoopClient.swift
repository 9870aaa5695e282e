// A client that keeps sending requests on one keep-alive connection (one at a time, or
// pipelined in batches) until told to stop, and classifies every outcome, for the
// zero-downtime restart test. The rules are HTTP/1.1's (RFC 9112 §9.3.1, §9.6):
// - a response with `Connection: close` ends the connection; pipelined requests after it were
//   not processed, and are sent again on a new connection (`resent`, not a failure);
// - a reused idle connection that the server closes before any byte of the next response is
//   the keep-alive race every client retries for idempotent requests (`retried`);
// - anything else is a failure: a connect error, a fresh connection closed with no response,
//   a response cut short, a timeout, a wrong status or body.
import Foundation
import Glibc

/// One looping client on its own thread.
final class LoopClient: @unchecked Sendable {
    let port: Int
    let depth: Int
    let expectedBody: [UInt8]
    private let lock = NSLock()
    private var stopping = false
    private(set) var completed = 0
    private(set) var failures: [String] = []
    private(set) var retried = 0
    private(set) var resent = 0
    private(set) var connections = 0
    /// Responses by `Server` header.
    private(set) var servers: [String: Int] = [:]
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    private static let request = Array("GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n".utf8)

    init(port: Int, depth: Int, expectedBody: String) {
        self.port = port
        self.depth = depth
        self.expectedBody = Array(expectedBody.utf8)
    }

    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        done.wait()
    }

    /// Counts so far (locked, for reading while running).
    func snapshot() -> (completed: Int, servers: [String: Int]) {
        lock.lock()
        defer { lock.unlock() }
        return (completed, servers)
    }

    private var shouldStop: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func record(_ body: () -> Void) {
        lock.lock()
        body()
        lock.unlock()
    }

    private func run() {
        var owed = 0 // requests of the current batch still to be (re)sent on a new connection
        while (!shouldStop || owed > 0) && failures.count < 100 {
            guard let connection = Connection(port: port) else {
                record { failures.append("connect failed: \(String(cString: strerror(errno)))") }
                usleep(1000)
                continue
            }
            record { connections += 1 }
            var answeredHere = 0
            connectionLoop: while true {
                let batch = owed > 0 ? owed : depth
                if owed == 0 && shouldStop { break }
                owed = batch
                guard connection.send(Array([[UInt8]](repeating: LoopClient.request, count: batch).joined())) else {
                    if answeredHere > 0 { record { retried += 1 } } else { record { failures.append("send failed on a fresh connection") } }
                    break
                }
                for index in 0..<batch {
                    switch connection.readResponse() {
                    case .response(let status, let server, let close, let body):
                        owed -= 1
                        answeredHere += 1
                        record {
                            completed += 1
                            servers[server, default: 0] += 1
                            if status != 200 || body != expectedBody { failures.append("status \(status), \(body.count)-byte body") }
                        }
                        if close {
                            if index < batch - 1 { record { resent += batch - 1 - index } }
                            break connectionLoop
                        }
                    case .closedBeforeResponse:
                        if answeredHere > 0 || index > 0 {
                            record { retried += 1 }
                        } else {
                            record { failures.append("a fresh connection closed before any response") }
                        }
                        break connectionLoop
                    case .failed(let why):
                        record { failures.append(why) }
                        owed = 0
                        break connectionLoop
                    }
                }
            }
        }
    }
}

/// A blocking loopback connection with a 5 s receive timeout.
private final class Connection {
    let fd: Int32
    var pending: [UInt8] = []

    enum Outcome {
        case response(status: Int, server: String, close: Bool, body: [UInt8])
        case closedBeforeResponse
        case failed(String)
    }

    init?(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let r = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if r != 0 {
            close(fd)
            return nil
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Reads more into `pending`; false at EOF or error (errno says which; 0 for EOF).
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 {
            if n == 0 { errno = 0 }
            return false
        }
        pending += chunk[0..<n]
        return true
    }

    func readResponse() -> Outcome {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Connection.find(pending)
            if headEnd != nil { break }
            if !fill() {
                let e = errno
                if pending.isEmpty && (e == 0 || e == ECONNRESET || e == EPIPE) { return .closedBeforeResponse }
                return .failed(e == EAGAIN ? "timed out waiting for a response" : "truncated head (\(pending.count) bytes, errno \(e))")
            }
        }
        let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0, server = "", close = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0].lowercased() {
            case "content-length": length = Int(parts[1]) ?? 0
            case "server": server = parts[1]
            case "connection": close = parts[1].lowercased() == "close"
            default: break
            }
        }
        let start = headEnd! + 4
        while pending.count < start + length {
            if !fill() { return .failed("truncated body: \(pending.count - start) of \(length) bytes") }
        }
        let body = Array(pending[start..<(start + length)])
        pending.removeFirst(start + length)
        return .response(status: status, server: server, close: close, body: body)
    }

    static func find(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
        return nil
    }
}
